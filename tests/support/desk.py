"""Helpers for tests of the ticket desk at core level: a resident in an area of the demo
directory, and a ticket's timeline."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.residents import register_resident
from bot.core.tickets import TicketDesk
from storage.models import TELEGRAM, Area, Resident, Ticket, TicketEvent


async def resident_in(
    session: AsyncSession, desk: TicketDesk, user_id: int, area_code: str, locale: str = "zh_Hans"
) -> Resident:
    resident = await register_resident(
        session, TELEGRAM, str(user_id), "小红", locale, desk.clock.now()
    )
    area = await session.scalar(select(Area).where(Area.code == area_code))
    assert area is not None
    resident.area_id = area.id
    return resident


async def history(session: AsyncSession, ticket: Ticket) -> list[str]:
    actions = await session.scalars(
        select(TicketEvent.action)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id)
    )
    return list(actions)
