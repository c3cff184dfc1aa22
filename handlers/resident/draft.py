"""Opinions written as drafts, in one or several messages, then submitted or cancelled."""

import contextlib
from html import escape
from uuid import uuid4

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import name_in
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.area import area_picker
from storage.models import Resident

DRAFT_LIMIT = 3500  # characters; leaves room for the card around the text


class DraftAction(CallbackData, prefix="draft"):
    action: str  # submit | cancel


def draft_keyboard(t: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Submit"), callback_data=DraftAction(action="submit"))
    builder.button(text=t.gettext("Cancel"), callback_data=DraftAction(action="cancel"))
    return builder.as_markup()


async def collect_opinion(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.text is not None
    if resident.area_id is None:
        text, keyboard = await area_picker(session, t, None)
        await message.answer(
            t.gettext("First, please tell me your area, so the right deputies receive it.")
            + "\n\n"
            + text,
            reply_markup=keyboard,
        )
        return
    draft = (await state.get_data()).get("draft") or {"key": uuid4().hex, "parts": []}
    length = sum(len(part) for part in draft["parts"]) + len(message.text)
    if length > DRAFT_LIMIT:
        await message.answer(
            t.gettext(
                "That would make the opinion longer than {limit} characters. Please submit what "
                "you have written so far first, then send the rest as a new opinion."
            ).format(limit=DRAFT_LIMIT),
            reply_markup=draft_keyboard(t) if draft["parts"] else None,
        )
        return
    if "prompt_id" in draft:
        # Only the newest prompt keeps its buttons.
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=draft["prompt_id"], reply_markup=None
            )
    draft["parts"].append(message.text)
    parts = len(draft["parts"])
    prompt = await message.answer(
        t.ngettext(
            "Noted ({count} message, {length} characters). Add more, or press “Submit”.",
            "Noted ({count} messages, {length} characters). Add more, or press “Submit”.",
            parts,
        ).format(count=parts, length=length),
        reply_markup=draft_keyboard(t),
    )
    draft["prompt_id"] = prompt.message_id
    await state.update_data(draft=draft)


async def unsupported(message: Message, t: Texts) -> None:
    await message.answer(
        t.gettext("Sorry, for now I can only accept text. Please describe your opinion in words.")
    )


async def submit_draft(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    draft = (await state.get_data()).get("draft")
    if not draft:
        await query.answer(
            t.gettext("There is nothing to submit: it was already submitted or cancelled."),
            show_alert=True,
        )
        return
    submission = await desk.submit_opinion(
        session, resident, "\n\n".join(draft["parts"]), draft["key"]
    )
    ticket, group = submission.ticket, submission.group
    text = t.gettext("Received. Your opinion number is <b>{number}</b>.").format(
        number=ticket.number
    )
    if group is not None:
        text += "\n" + t.gettext(
            "It goes to {group} of {station}. You will be told here about every step."
        ).format(group=escape(name_in(t, group)), station=escape(name_in(t, group.station)))
    else:
        text += "\n" + t.gettext(
            "Staff will assign it to the responsible deputy group shortly, and you will be "
            "told here about every step."
        )
    text += "\n" + t.gettext("Please quote the number if you call about it.")
    message = query.message

    async def confirm() -> None:
        # Only once committed: a number the resident is told always exists, and a draft is
        # cleared only once it is a ticket.
        await state.update_data(draft=None)
        await message.edit_text(text)
        await query.answer()

    after_commit(confirm)


async def cancel_draft(query: CallbackQuery, state: FSMContext, t: Texts) -> None:
    assert isinstance(query.message, Message)
    await state.update_data(draft=None)
    await query.message.edit_text(t.gettext("Cancelled. Nothing was submitted."))
    await query.answer()


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(collect_opinion, F.text)
    router.message.register(unsupported)
    router.callback_query.register(submit_draft, DraftAction.filter(F.action == "submit"))
    router.callback_query.register(cancel_draft, DraftAction.filter(F.action == "cancel"))
    return router
