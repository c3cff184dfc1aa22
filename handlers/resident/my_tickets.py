"""/my: the resident's tickets, newest first, a page at a time, each opening its timeline."""

from typing import Annotated

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.residents import ticket_of, tickets_of, timeline_of
from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from bot.text.render import status_label
from bot.text.resident_views import ticket_line, timeline_text
from handlers.answers import acknowledge, edit
from handlers.middlewares.transaction import AfterCommit
from storage.models import DeputyGroup, Resident

PAGE = 5

Id = Annotated[int, Field(ge=0, le=2**63 - 1)]


class MyPage(CallbackData, prefix="my"):
    page: Annotated[int, Field(ge=0, le=10**6)]


class MyTicket(CallbackData, prefix="mine"):
    ticket_id: Id
    page: Annotated[int, Field(ge=0, le=10**6)] = 0  # the page to go back to


async def tickets_page(
    session: AsyncSession, t: Texts, desk: TicketDesk, resident: Resident, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    tickets, total = await tickets_of(session, resident, page * PAGE, PAGE)
    if total == 0:
        return t.gettext(
            "You have not submitted any opinions or suggestions yet. Write one here at any time."
        ), None
    pages = (total + PAGE - 1) // PAGE
    head = t.ngettext(
        "Your opinions and suggestions ({total}), newest first:",
        "Your opinions and suggestions ({total}), newest first:",
        total,
    ).format(total=total)
    if pages > 1:
        head += "\n" + t.gettext("page {page} of {pages}").format(page=page + 1, pages=pages)
    lines = [head, *(ticket_line(t, ticket, desk.timezone) for ticket in tickets)]
    builder = InlineKeyboardBuilder()
    for ticket in tickets:
        builder.button(
            text=f"{ticket.number} · {status_label(t, ticket.status)}",
            callback_data=MyTicket(ticket_id=ticket.id, page=page),
        )
    builder.adjust(1)
    nav = InlineKeyboardBuilder()
    if page > 0:
        nav.button(text=t.gettext("Newer"), callback_data=MyPage(page=page - 1))
    if page + 1 < pages:
        nav.button(text=t.gettext("Older"), callback_data=MyPage(page=page + 1))
    builder.row(*nav.buttons)
    return "\n\n".join(lines), builder.as_markup()


async def show_my(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    text, keyboard = await tickets_page(session, t, desk, resident, 0)
    after_commit(lambda: message.answer(text, reply_markup=keyboard))


async def turn_page(
    query: CallbackQuery,
    callback_data: MyPage,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    text, keyboard = await tickets_page(session, t, desk, resident, callback_data.page)

    async def show() -> None:
        await edit(message, text, keyboard)
        await acknowledge(query)

    after_commit(show)


async def open_ticket(
    query: CallbackQuery,
    callback_data: MyTicket,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    ticket = await ticket_of(session, resident, callback_data.ticket_id)
    if ticket is None:  # someone else's, or made up
        refusal = t.gettext("This is not one of your opinions or suggestions.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    events = await timeline_of(session, ticket)
    group_ids = {
        event.detail.get(key)
        for event in events
        for key in ("group_id", "to_group")
        if (event.detail or {}).get(key)
    }
    groups = {
        group_id: group
        for group_id in group_ids
        if isinstance(group_id, int) and (group := await session.get(DeputyGroup, group_id))
    }
    text = timeline_text(t, ticket, events, groups, desk.timezone)
    back = InlineKeyboardBuilder()
    back.button(text=t.gettext("Back"), callback_data=MyPage(page=callback_data.page))

    async def show() -> None:
        await edit(message, text, back.as_markup())
        await acknowledge(query)

    after_commit(show)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_my, Command("my"))
    router.callback_query.register(turn_page, MyPage.filter())
    router.callback_query.register(open_ticket, MyTicket.filter())
    return router
