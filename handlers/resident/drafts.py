"""A draft: the messages of an opinion not yet submitted, kept in the FSM storage (memory, or
Redis in production), and the prompt under the newest message that offers to submit it."""

import contextlib
from typing import Any
from uuid import uuid4

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.text.catalogs import Texts

DRAFT_LIMIT = 3500  # characters; leaves room for the card around the text

Draft = dict[str, Any]  # {"key": idempotency key, "parts": [texts], "prompt_id": message id}


class DraftAction(CallbackData, prefix="draft"):
    action: str  # submit | cancel


def draft_keyboard(t: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Submit"), callback_data=DraftAction(action="submit"))
    builder.button(text=t.gettext("Cancel"), callback_data=DraftAction(action="cancel"))
    return builder.as_markup()


async def current_draft(state: FSMContext) -> Draft:
    """The resident's draft, or a new empty one with its own key."""
    return (await state.get_data()).get("draft") or {"key": uuid4().hex, "parts": []}


def draft_length(draft: Draft) -> int:
    return sum(len(part) for part in draft["parts"])


async def prompt_to_submit(
    bot: Bot, message: Message, state: FSMContext, t: Texts, draft: Draft
) -> None:
    """Say what the draft holds, with Submit and Cancel; only the newest prompt keeps them."""
    if "prompt_id" in draft:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=draft["prompt_id"], reply_markup=None
            )
    parts = len(draft["parts"])
    prompt = await message.answer(
        t.ngettext(
            "Noted ({count} message, {length} characters). Add more, or press “Submit”.",
            "Noted ({count} messages, {length} characters). Add more, or press “Submit”.",
            parts,
        ).format(count=parts, length=draft_length(draft)),
        reply_markup=draft_keyboard(t),
    )
    draft["prompt_id"] = prompt.message_id
    await state.update_data(draft=draft)
