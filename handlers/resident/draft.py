"""Opinions written as drafts, in one or several messages (submitting is in `submit`). Every
answer goes out once the update's transaction is committed (`after_commit`)."""

import unicodedata
from typing import Any

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.additions import comment_on_rating, open_tickets_of
from bot.core.drafts import DraftBook
from bot.core.residents import ticket_of
from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import locale_date
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.additions import ask_where_it_belongs
from handlers.resident.area import area_picker
from handlers.resident.drafts import (
    DRAFT_LIMIT,
    Draft,
    DraftAction,
    draft_keyboard,
    draft_length,
    message_count,
    part_of,
    prompt_to_submit,
    too_long,
)
from storage.models import Resident


async def take_comment(
    message: Message,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
    draft: Draft,
) -> None:
    """The message is the comment on a rating the resident offered to comment on."""
    assert message.text is not None
    ticket = await ticket_of(session, resident, draft["comment_for"])
    taken = ticket is not None and await comment_on_rating(
        session, desk, ticket, resident, message.text
    )
    draft["comment_for"] = None
    said = (
        t.gettext("Thank you, your comment is passed on with your rating.")
        if taken
        else t.gettext("A comment cannot be added here: given already, or not yours.")
    )

    async def tell() -> None:
        await message.reply(said)
        if draft["parts"]:
            await drafts.save(resident.id, draft)
        else:
            await drafts.discard(resident.id)

    after_commit(tell)


def has_words(text: str) -> bool:
    """True if the text holds a letter or a digit of any script (not only emoji, spaces,
    punctuation or invisible characters)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


async def collect_opinion(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert message.text is not None
    if not has_words(message.text):
        text = t.gettext(
            "This message has no words in it (only emoji or spaces), so it was not kept. "
            "Please describe your opinion or suggestion in words."
        )
        after_commit(lambda: message.reply(text))
        return
    draft = await drafts.load(session, resident.id)
    if draft.get("comment_for"):
        await take_comment(message, drafts, session, after_commit, resident, desk, t, draft)
        return
    # A first message is always taken (no Telegram message is longer than the limit).
    if draft["parts"] and draft_length(draft) + len(message.text) > DRAFT_LIMIT:
        refusal = too_long(t)
        after_commit(lambda: message.answer(refusal, reply_markup=draft_keyboard(t)))
        return
    await add_part(
        message,
        bot,
        drafts,
        session,
        after_commit,
        resident,
        desk,
        t,
        draft,
        {"message_id": message.message_id, "text": message.text},
    )


async def add_part(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
    draft: Draft,
    part: dict[str, Any],
) -> None:
    """Add a message (words or an attachment) to the draft and answer: the prompt to submit,
    or first the question the draft's state asks (which ticket it belongs to, whether to go
    on with a draft left alone, which area)."""
    left_alone = drafts.left_alone(draft)
    first = not draft["parts"]
    draft["parts"].append(part)
    if (
        first
        and resident.area_id is not None
        and (tickets := await open_tickets_of(session, resident))
    ):
        after_commit(lambda: ask_where_it_belongs(message, drafts, resident, t, draft, tickets))
        return
    if left_alone and resident.area_id is not None:
        # Kept, new message and all; the resident says whether the old part still stands.
        draft["resumed_at"] = len(draft["parts"]) - 1
        question = t.ngettext(
            "On {date} you began an opinion or suggestion ({count} message) and did not "
            "submit it. Your new message is added to it. Go on with what you wrote before, or "
            "discard it?",
            "On {date} you began an opinion or suggestion ({count} messages) and did not "
            "submit it. Your new message is added to it. Go on with what you wrote before, or "
            "discard it?",
            draft["resumed_at"],
        ).format(date=locale_date(t, draft["updated_at"], desk.timezone), count=draft["resumed_at"])
        builder = InlineKeyboardBuilder()
        builder.button(
            text=t.gettext("Go on with it"), callback_data=DraftAction(action="continue")
        )
        builder.button(
            text=t.gettext("Discard what I wrote before"),
            callback_data=DraftAction(action="restart"),
        )

        async def ask_to_go_on() -> None:
            await message.answer(question, reply_markup=builder.as_markup())
            await drafts.save(resident.id, draft)

        after_commit(ask_to_go_on)
        return
    if resident.area_id is None:
        # Kept as the start of the opinion: it is offered for submission once the area is set.
        text, keyboard = await area_picker(session, t, None)
        kept = (
            t.gettext(
                "What you wrote is kept. First, please choose your area, so that it reaches the "
                "right deputies."
            )
            + "\n\n"
            + text
        )

        async def keep_and_ask() -> None:
            await message.answer(kept, reply_markup=keyboard)
            await drafts.save(resident.id, draft)

        after_commit(keep_and_ask)
        return
    after_commit(lambda: prompt_to_submit(bot, message, drafts, resident.id, t, draft))


async def take_edit(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """A resident edited a message of their draft (its text, or an attachment's caption): the
    draft takes the new words."""
    words = message.text if message.text is not None else message.caption or ""
    draft = await drafts.load(session, resident.id)
    part = part_of(draft, message.message_id)
    if part is None:
        after_commit(lambda: message.reply(edit_not_taken_text(t)))
        return
    if draft_length(draft) - len(part["text"]) + len(words) > DRAFT_LIMIT:
        refusal = t.gettext(
            "With this change it would be longer than {limit} characters, so the change was "
            "not taken in."
        ).format(limit=DRAFT_LIMIT)
        after_commit(lambda: message.reply(refusal))
        return
    part["text"] = words
    if part.get("media"):
        part["media"]["caption"] = words or None
    parts, length = message_count(draft), draft_length(draft)
    if resident.area_id is None:

        async def keep() -> None:
            await message.reply(t.gettext("Your change is taken in."))
            await drafts.save(resident.id, draft)

        after_commit(keep)
        return
    lead = t.ngettext(
        "Your change is taken in ({count} message, {length} characters). Add more, or press "
        "“Submit”.",
        "Your change is taken in ({count} messages, {length} characters). Add more, or press "
        "“Submit”.",
        parts,
    ).format(count=parts, length=length)
    after_commit(lambda: prompt_to_submit(bot, message, drafts, resident.id, t, draft, lead))


def edit_not_taken_text(t: Texts) -> str:
    return t.gettext(
        "Changes to a message already sent are not taken in, unless it is part of an opinion "
        "or suggestion not yet submitted. To add something, please send a new message."
    )


async def edit_not_taken(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    after_commit(lambda: message.reply(edit_not_taken_text(t)))


async def unsupported(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    text = t.gettext(
        "Stickers, polls, dice and games cannot be kept. Please describe your opinion or "
        "suggestion in words; you may add photos, files, voice messages, videos or a place."
    )
    after_commit(lambda: message.answer(text))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(collect_opinion, F.text)
    router.message.register(unsupported)
    router.edited_message.register(take_edit, F.text | F.caption)
    router.edited_message.register(edit_not_taken)
    return router
