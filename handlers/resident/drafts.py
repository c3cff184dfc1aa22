"""A draft: the messages of an opinion not yet submitted, kept in the database by the core's
`DraftBook`, and the prompt under the newest message that offers to submit it.

A draft is read as a copy and saved whole, only once the resident has been answered: an
update that fails half-way leaves the draft as it was, so sending the message again does not
add it twice."""

import logging
from typing import Any, Literal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.core.drafts import DraftBook, DraftData
from bot.text.catalogs import Texts

log = logging.getLogger(__name__)

# Characters: as much as one Telegram message holds, so a first message is always taken;
# the channel sends a card too long for one message in parts.
DRAFT_LIMIT = 4096

Draft = DraftData


class DraftAction(CallbackData, prefix="draft"):
    action: Literal["submit", "cancel", "continue", "restart"]


def draft_keyboard(t: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Submit"), callback_data=DraftAction(action="submit"))
    builder.button(text=t.gettext("Cancel"), callback_data=DraftAction(action="cancel"))
    return builder.as_markup()


def too_long(t: Texts) -> str:
    """Why a part that would make the draft too long was not added, and what to do."""
    return t.gettext(
        "That would make it longer than {limit} characters. Please submit what you "
        "have written so far first, then send the rest as a new opinion or suggestion."
    ).format(limit=DRAFT_LIMIT)


def draft_text(draft: Draft) -> str:
    return "\n\n".join(part["text"] for part in draft["parts"] if part["text"])


def attachment_count(draft: Draft) -> int:
    return sum(1 for part in draft["parts"] if part.get("media"))


def draft_length(draft: Draft) -> int:
    return sum(len(part["text"]) for part in draft["parts"])


def part_of(draft: Draft, message_id: int) -> dict[str, Any] | None:
    return next((p for p in draft["parts"] if p["message_id"] == message_id), None)


def message_count(draft: Draft) -> int:
    """How many messages the draft holds, as the resident sent them: an album is one."""
    return len({album_of(part) or f"#{part['message_id']}" for part in draft["parts"]})


def prompt_text(t: Texts, draft: Draft) -> str:
    parts, length = message_count(draft), draft_length(draft)
    text = t.ngettext(
        "Noted ({count} message, {length} characters). Add more, or press “Submit”.",
        "Noted ({count} messages, {length} characters). Add more, or press “Submit”.",
        parts,
    ).format(count=parts, length=length)
    if attached := attachment_count(draft):
        text += "\n" + t.ngettext(
            "With {count} attachment (photos, files, voice messages, videos, places).",
            "With {count} attachments (photos, files, voice messages, videos, places).",
            attached,
        ).format(count=attached)
    return text


def album_of(part: dict[str, Any]) -> str | None:
    media = part.get("media")
    return media.get("album") if media else None


async def prompt_to_submit(
    bot: Bot,
    message: Message,
    drafts: DraftBook,
    resident_id: int,
    t: Texts,
    draft: Draft,
    lead: str | None = None,
) -> None:
    """Say what the draft holds, with Submit and Cancel, then save it. Only the newest prompt
    keeps the buttons: the old one loses them once the new one is out."""
    text = prompt_text(t, draft) if lead is None else lead
    prompt = await message.answer(text, reply_markup=draft_keyboard(t))
    old_prompt = draft.get("prompt_id")
    draft["prompt_id"] = prompt.message_id
    album = draft.get("album")
    if album and album["prompt"] is None and album_of(draft["parts"][-1]) == album["id"]:
        album["prompt"] = prompt.message_id  # the album's answer: its later items update it
    await drafts.save(resident_id, draft)
    if old_prompt is not None:
        try:
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=old_prompt, reply_markup=None
            )
        except TelegramAPIError as error:
            # Both prompts submit the same draft, so an old button left is harmless.
            log.info("the old prompt %s keeps its buttons: %s", old_prompt, error)


async def update_album_prompt(
    bot: Bot, chat_id: int, drafts: DraftBook, resident_id: int, t: Texts, draft: Draft
) -> None:
    """A later item of an album already answered: its prompt shows the new count, and the
    draft is saved; no new message."""
    album = draft.get("album")
    if album and album["prompt"] is not None and album["prompt"] == draft.get("prompt_id"):
        try:
            await bot.edit_message_text(
                chat_id=chat_id,
                message_id=album["prompt"],
                text=prompt_text(t, draft),
                reply_markup=draft_keyboard(t),
            )
        except TelegramAPIError as error:
            # The prompt counts one item fewer; Submit takes the whole draft all the same.
            log.info("the album's prompt %s was not updated: %s", album["prompt"], error)
    await drafts.save(resident_id, draft)
