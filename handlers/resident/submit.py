"""Submitting a draft: the topic is chosen ("other / not sure" always there), then the ticket
is made and the resident told its number, the group it went to and the day an answer is due.
Also: cancelling, and a draft left alone for a day, continued or begun anew."""

from html import escape
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.attachments import media_of
from bot.core.drafts import DraftBook
from bot.core.tickets import Submission, TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import a_resident_of, locale_date, name_in
from handlers.answers import acknowledge, edit
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.drafts import (
    DraftAction,
    attachment_count,
    draft_text,
    prompt_to_submit,
)
from handlers.resident.phone import phone_offer
from storage.models import Category, Resident
from storage.queries.areas import area_path
from storage.queries.categories import OTHER, active_categories


class TopicChoice(CallbackData, prefix="topic"):
    category_id: Annotated[int, Field(ge=0, le=2**63 - 1)]  # 0: other / not sure


async def topic_keyboard(session: AsyncSession, t: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    categories = await active_categories(session)
    other = next((c for c in categories if c.code == OTHER), None)
    for category in categories:
        if category is not other:
            builder.button(
                text=name_in(t, category), callback_data=TopicChoice(category_id=category.id)
            )
    builder.button(
        text=t.gettext("Other / not sure"),
        callback_data=TopicChoice(category_id=other.id if other else 0),
    )
    builder.adjust(2)
    return builder.as_markup()


def nothing_to_submit(query: CallbackQuery, after_commit: AfterCommit, t: Texts) -> None:
    nothing = t.gettext("There is nothing to submit (already submitted or cancelled).")
    after_commit(lambda: query.answer(nothing, show_alert=True))


async def ask_topic(
    query: CallbackQuery,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    if not await drafts.exists(session, resident.id):
        nothing_to_submit(query, after_commit, t)
        return
    message = query.message
    question = t.gettext("What is it about? Please choose a topic:")
    keyboard = await topic_keyboard(session, t)

    async def ask() -> None:
        await edit(message, f"{message.html_text}\n\n{question}", keyboard)
        await acknowledge(query)

    after_commit(ask)


def confirmation(t: Texts, desk: TicketDesk, submission: Submission) -> str:
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
    if ticket.answer_due is not None:
        text += "\n" + t.gettext("An answer is due by {date}.").format(
            date=locale_date(t, ticket.answer_due, desk.timezone)
        )
    return text + "\n" + t.gettext("Please quote this number when asking about its progress.")


class SubmitAs(CallbackData, prefix="as"):
    category_id: Annotated[int, Field(ge=0, le=2**63 - 1)]  # 0: other / not sure
    named: bool  # the deputies may see the resident's name


async def ask_name_shown(
    query: CallbackQuery,
    callback_data: TopicChoice,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """Before confirming: may the deputies see the resident's name? No, unless they say so."""
    assert isinstance(query.message, Message)
    if not await drafts.exists(session, resident.id):
        nothing_to_submit(query, after_commit, t)
        return
    message = query.message
    path = await area_path(session, resident.area_id)
    question = t.gettext("May the deputies see your name? If not, they see “{anonymous}”.").format(
        anonymous=escape(a_resident_of(t, path))
    )
    if resident.phone:
        question += "\n" + t.gettext("Your phone number {phone} is shown with your name.").format(
            phone=escape(resident.phone)
        )
    offer = None if resident.phone else phone_offer(t)
    builder = InlineKeyboardBuilder()
    chosen = callback_data.category_id
    builder.button(
        text=t.gettext("No, submit without my name"),
        callback_data=SubmitAs(category_id=chosen, named=False),
    )
    builder.button(
        text=t.gettext("Yes, show my name"), callback_data=SubmitAs(category_id=chosen, named=True)
    )
    builder.adjust(1)
    keyboard = builder.as_markup()

    async def ask() -> None:
        if await edit(message, question, keyboard) and offer is not None:
            await message.answer(offer[0], reply_markup=offer[1])
        await acknowledge(query)

    after_commit(ask)


async def submit_draft(
    query: CallbackQuery,
    callback_data: SubmitAs,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    if not await drafts.exists(session, resident.id):
        nothing_to_submit(query, after_commit, t)
        return
    category = (
        await session.get(Category, callback_data.category_id)
        if callback_data.category_id
        else None
    )
    draft = await drafts.load(session, resident.id)
    submission = await desk.submit_opinion(
        session,
        resident,
        draft_text(draft),
        draft["key"],
        category.id if category else None,
        resident_named=callback_data.named,
        attachments=media_of(draft["parts"]),
    )
    text = confirmation(t, desk, submission)
    if attached := attachment_count(draft):
        text += "\n" + t.ngettext(
            "Your {count} attachment is passed on with it.",
            "Your {count} attachments are passed on with it.",
            attached,
        ).format(count=attached)
    if not submission.ticket.resident_named:
        text += "\n" + t.gettext("The deputies do not see your name.")
    elif resident.phone:
        text += "\n" + t.gettext("The deputies see your name and phone number.")
    else:
        text += "\n" + t.gettext("The deputies see your name.")
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


async def go_on(
    query: CallbackQuery,
    callback_data: DraftAction,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """A draft left alone for a day: kept whole ("continue"), or only what was written since
    ("restart")."""
    assert isinstance(query.message, Message)
    message = query.message
    draft = await drafts.load(session, resident.id)
    since = draft.get("resumed_at")
    if not draft["parts"] or since is None:
        nothing_to_submit(query, after_commit, t)
        return
    if callback_data.action == "restart":
        draft["parts"] = draft["parts"][since:]
        said = t.gettext("What you wrote before is discarded.")
    else:
        said = t.gettext("You go on with what you wrote before.")
    draft["resumed_at"] = None

    async def tell() -> None:
        await acknowledge(query)
        if await edit(message, said):
            await prompt_to_submit(bot, message, drafts, resident.id, t, draft)

    after_commit(tell)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(ask_topic, DraftAction.filter(F.action == "submit"))
    router.callback_query.register(ask_name_shown, TopicChoice.filter())
    router.callback_query.register(submit_draft, SubmitAs.filter())
    router.callback_query.register(cancel_draft, DraftAction.filter(F.action == "cancel"))
    router.callback_query.register(go_on, DraftAction.filter(F.action.in_(("continue", "restart"))))
    return router
