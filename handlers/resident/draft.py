"""Opinions written as drafts, in one or several messages, then submitted or cancelled."""

from html import escape

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import name_in
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.area import area_picker
from handlers.resident.drafts import (
    DRAFT_LIMIT,
    DraftAction,
    current_draft,
    draft_keyboard,
    draft_length,
    prompt_to_submit,
)
from storage.models import Resident


async def collect_opinion(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.text is not None
    draft = await current_draft(state)
    if draft_length(draft) + len(message.text) > DRAFT_LIMIT:
        await message.answer(
            t.gettext(
                "That would make it longer than {limit} characters. Please submit what you "
                "have written so far first, then send the rest as a new opinion or suggestion."
            ).format(limit=DRAFT_LIMIT),
            reply_markup=draft_keyboard(t) if draft["parts"] else None,
        )
        return
    draft["parts"].append(message.text)
    if resident.area_id is None:
        # Kept as the start of the opinion: it is offered for submission once the area is set.
        await state.update_data(draft=draft)
        text, keyboard = await area_picker(session, t, None)
        await message.answer(
            t.gettext(
                "What you wrote is kept. First, please choose your area, so that it reaches the "
                "right deputies."
            )
            + "\n\n"
            + text,
            reply_markup=keyboard,
        )
        return
    await prompt_to_submit(bot, message, state, t, draft)


async def unsupported(message: Message, t: Texts) -> None:
    await message.answer(
        t.gettext(
            "For now only text can be accepted. "
            "Please describe your opinion or suggestion in words."
        )
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
            t.gettext("There is nothing to submit (already submitted or cancelled)."),
            show_alert=True,
        )
        return
    submission = await desk.submit_opinion(
        session, resident, "\n\n".join(draft["parts"]), draft["key"]
    )
    ticket, group = submission.ticket, submission.group
    text = t.gettext(
        "Received. The reference number of your opinion or suggestion is <b>{number}</b>."
    ).format(number=ticket.number)
    if group is not None:
        text += "\n" + t.gettext(
            "Passed on to {group} of {station}. Progress will be reported here."
        ).format(group=escape(name_in(t, group)), station=escape(name_in(t, group.station)))
    else:
        text += "\n" + t.gettext(
            "Staff of the street working committee will assign it to the responsible "
            "deputy group. Progress will be reported here."
        )
    text += "\n" + t.gettext("Please quote this number when asking about its progress.")
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
