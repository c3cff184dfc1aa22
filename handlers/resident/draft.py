"""Opinions written as drafts, in one or several messages, then submitted or cancelled. Every
answer goes out once the update's transaction is committed (`after_commit`)."""

from html import escape

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.drafts import DraftBook
from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import name_in
from handlers.answers import acknowledge, answer, edit
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.area import area_picker
from handlers.resident.drafts import (
    DRAFT_LIMIT,
    DraftAction,
    draft_keyboard,
    draft_length,
    draft_text,
    part_of,
    prompt_to_submit,
)
from storage.models import Resident


async def collect_opinion(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.text is not None
    draft = await drafts.load(resident.id)
    # A first message is always taken (no Telegram message is longer than the limit).
    if draft["parts"] and draft_length(draft) + len(message.text) > DRAFT_LIMIT:
        refusal = t.gettext(
            "That would make it longer than {limit} characters. Please submit what you "
            "have written so far first, then send the rest as a new opinion or suggestion."
        ).format(limit=DRAFT_LIMIT)
        after_commit(lambda: answer(message.answer(refusal, reply_markup=draft_keyboard(t))))
        return
    draft["parts"].append({"message_id": message.message_id, "text": message.text})
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
            await answer(message.answer(kept, reply_markup=keyboard))
            await drafts.save(resident.id, draft)

        after_commit(keep_and_ask)
        return
    after_commit(lambda: prompt_to_submit(bot, message, drafts, resident.id, t, draft))


async def take_edit(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """A resident edited a message of their draft: the draft takes the new text."""
    assert message.text is not None
    draft = await drafts.load(resident.id)
    part = part_of(draft, message.message_id)
    if part is None:
        after_commit(lambda: answer(message.reply(edit_not_taken_text(t))))
        return
    if draft_length(draft) - len(part["text"]) + len(message.text) > DRAFT_LIMIT:
        refusal = t.gettext(
            "With this change it would be longer than {limit} characters, so the change was "
            "not taken in."
        ).format(limit=DRAFT_LIMIT)
        after_commit(lambda: answer(message.reply(refusal)))
        return
    part["text"] = message.text
    parts, length = len(draft["parts"]), draft_length(draft)
    if resident.area_id is None:

        async def keep() -> None:
            await answer(message.reply(t.gettext("Your change is taken in.")))
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
    after_commit(lambda: answer(message.reply(edit_not_taken_text(t))))


async def unsupported(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    text = t.gettext(
        "For now only text can be accepted. Please describe your opinion or suggestion in words."
    )
    after_commit(lambda: answer(message.answer(text)))


async def submit_draft(
    query: CallbackQuery,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    if not await drafts.exists(resident.id):
        nothing = t.gettext("There is nothing to submit (already submitted or cancelled).")
        after_commit(lambda: answer(query.answer(nothing, show_alert=True)))
        return
    draft = await drafts.load(resident.id)
    submission = await desk.submit_opinion(session, resident, draft_text(draft), draft["key"])
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
        # Only once committed: a number the resident is told always exists. If telling fails,
        # the draft and its button stay: pressing again submits nothing twice (same key).
        await edit(message, text)
        await drafts.discard(resident.id)
        await acknowledge(query)

    after_commit(confirm)


async def cancel_draft(
    query: CallbackQuery,
    drafts: DraftBook,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message

    async def cancel() -> None:
        await edit(message, t.gettext("Cancelled. Nothing was submitted."))
        await drafts.discard(resident.id)
        await acknowledge(query)

    after_commit(cancel)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(collect_opinion, F.text)
    router.message.register(unsupported)
    router.edited_message.register(take_edit, F.text)
    router.edited_message.register(edit_not_taken)
    router.callback_query.register(submit_draft, DraftAction.filter(F.action == "submit"))
    router.callback_query.register(cancel_draft, DraftAction.filter(F.action == "cancel"))
    return router
