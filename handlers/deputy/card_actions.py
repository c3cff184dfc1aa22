"""A deputy acts on a ticket from the buttons of its card: 接单, 办理中, 转交部门 (a department,
then an expected date), 需补充, 已办结, 无法办理, 转工作人员, 非本组. Only deputies registered
with the group holding the ticket may act; every step is the core's (`GroupWork`, the desk)."""

from html import escape

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.group_work import EXPECTED_DAYS, GroupWork
from bot.core.tickets import TicketDesk, as_deputy
from bot.core.workflow import Step, TransitionError, check
from bot.text import render
from bot.text.catalogs import Texts
from handlers.answers import edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, Actor, Deputy, Ticket

CARD_BUTTON = (
    r"^(accept|start|forward|need_info|resolve|close|unresolvable|to_staff|reroute):(\d{1,18})$"
)
DEPARTMENT = r"^fwd:(\d{1,18}):(\d{1,9})$"  # a department chosen for the ticket
EXPECTED = r"^fwd:(\d{1,18}):(\d{1,9}):(\d{1,3})$"  # and the days until it expects an answer


async def acting_deputy(
    query: CallbackQuery, session: AsyncSession, desk: TicketDesk, t: Texts, ticket_id: int
) -> tuple[Ticket, Deputy] | None:
    """The ticket and the deputy pressing, if they may act on it; otherwise they are told."""
    ticket = await session.get(Ticket, ticket_id)
    deputy = ticket and await desk.deputy_of_group(
        session, TELEGRAM, str(query.from_user.id), ticket.deputy_group_id
    )
    if ticket is None or deputy is None:
        return None
    return ticket, deputy


def refuse(query: CallbackQuery, after_commit: AfterCommit, text: str) -> None:
    after_commit(lambda: query.answer(text, show_alert=True))


def not_registered(t: Texts) -> str:
    return t.gettext("Only deputies registered with the group holding it can act on it.")


def cannot_now(t: Texts, ticket: Ticket) -> str:
    return t.gettext("This cannot be done now: {number} is {status}.").format(
        number=ticket.number, status=render.status_label(t, ticket.status)
    )


async def card_action(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
) -> None:
    assert query.data is not None
    name, number = query.data.split(":")
    acting = await acting_deputy(query, session, desk, t, int(number))
    if acting is None:
        refuse(query, after_commit, not_registered(t))
        return
    ticket, deputy = acting
    who = as_deputy(deputy)
    done = t.gettext("Done: {number} is now {status}.")
    try:
        if name == "accept":
            claim = await work.claim(session, ticket, deputy)
            if not claim.won and claim.holder is not None:
                taken = (
                    t.gettext("You have claimed {number} already.")
                    if claim.holder.id == deputy.id
                    else t.gettext("Deputy {name} has claimed {number} already.")
                )
                text = taken.format(name=claim.holder.name, number=ticket.number)
                refuse(query, after_commit, text)
                return
        elif name == "start":
            await desk.start(session, ticket, deputy)
        elif name == "forward":
            await offer_departments(query, session, after_commit, work, t, ticket)
            return
        elif name in ("need_info", "unresolvable"):
            await work.ask_deputy(session, ticket, deputy, name)
            done = t.gettext("Please reply to the question below the card ({number}).")
        elif name in ("resolve", "close"):
            if not await work.resolve(session, ticket, deputy):
                done = t.gettext("Please reply to the question below the card ({number}).")
        elif name == "to_staff":
            await work.to_staff(session, ticket, deputy)
        else:
            await desk.reroute(session, ticket, who)
    except TransitionError:
        refuse(query, after_commit, cannot_now(t, ticket))
        return
    told = done.format(number=ticket.number, status=render.status_label(t, ticket.status))
    after_commit(reported(lambda: query.answer(told), f"{name} of {ticket.number}"))


async def offer_departments(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    work: GroupWork,
    t: Texts,
    ticket: Ticket,
) -> None:
    """转交部门, first tap: the departments of the directory, under the card."""
    check(Step.FORWARD, ticket.status, Actor.DEPUTY)
    departments = await work.departments(session)
    if not departments:
        refuse(
            query,
            after_commit,
            t.gettext(
                "The directory names no departments yet. The street working committee can add them."
            ),
        )
        return
    buttons = [
        InlineKeyboardButton(text=render.name_in(t, d), callback_data=f"fwd:{ticket.id}:{d.id}")
        for d in departments
    ]
    markup = InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )
    text = t.gettext("Forward {number} to which department?").format(number=ticket.number)
    card = query.message
    assert isinstance(card, Message)

    async def ask() -> None:
        await query.answer()
        await card.reply(text, reply_markup=markup)

    after_commit(ask)


async def department_chosen(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    t: Texts,
) -> None:
    """The department is chosen: when does it expect to have an answer?"""
    assert query.data is not None
    number = query.data.split(":")[1]
    acting = await acting_deputy(query, session, desk, t, int(number))
    if acting is None:
        refuse(query, after_commit, not_registered(t))
        return
    ticket, _ = acting
    labels = [t.gettext("Within {days} days").format(days=days) for days in EXPECTED_DAYS]
    buttons = [
        InlineKeyboardButton(text=label, callback_data=f"{query.data}:{days}")
        for label, days in zip(labels, EXPECTED_DAYS, strict=True)
    ]
    buttons.append(
        InlineKeyboardButton(text=t.gettext("Not known yet"), callback_data=f"{query.data}:0")
    )
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons[:3], buttons[3:]])
    text = t.gettext("When does the department expect to have dealt with {number}?").format(
        number=ticket.number
    )
    message = query.message
    assert isinstance(message, Message)

    async def ask() -> None:
        await query.answer()
        await edit(message, text, markup)

    after_commit(ask)


async def expected_chosen(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
) -> None:
    assert query.data is not None
    _, number, department_id, days = query.data.split(":")
    acting = await acting_deputy(query, session, desk, t, int(number))
    if acting is None:
        refuse(query, after_commit, not_registered(t))
        return
    ticket, deputy = acting
    try:
        department = await work.forward(session, ticket, deputy, int(department_id), int(days))
    except TransitionError:
        refuse(query, after_commit, cannot_now(t, ticket))
        return
    text = t.gettext("{number} forwarded to {department} by deputy {name}.").format(
        number=ticket.number,
        department=escape(render.name_in(t, department)),
        name=escape(deputy.name),
    )
    message = query.message
    assert isinstance(message, Message)

    async def tell() -> None:
        await query.answer()
        await edit(message, text)

    after_commit(reported(tell, f"forward of {ticket.number}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(card_action, F.data.regexp(CARD_BUTTON))
    router.callback_query.register(department_chosen, F.data.regexp(DEPARTMENT))
    router.callback_query.register(expected_chosen, F.data.regexp(EXPECTED))
    return router
