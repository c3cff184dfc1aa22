"""Residents (选民/群众): registration by their contact in a channel, language and area, and
the tickets they follow."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RecipientKind, Resident, Ticket, TicketEvent
from storage.queries.contacts import mark_reachable, recipient_at, set_address
from storage.queries.residents import resident_by_address


async def resident_at(session: AsyncSession, channel: str, address: str) -> Resident | None:
    """The resident who writes from this address of the channel, if known."""
    resident_id = await recipient_at(session, RecipientKind.RESIDENT, channel, address)
    return await session.get(Resident, resident_id) if resident_id is not None else None


async def register_resident(
    session: AsyncSession,
    channel: str,
    address: str,
    display_name: str,
    locale: str,
    now: datetime,
) -> Resident:
    """The resident at this address, registered on first contact; a changed name is kept."""
    found = await resident_by_address(session, channel, address)
    if found is None:
        resident = Resident(display_name=display_name, locale=locale, created_at=now)
        session.add(resident)
        await session.flush()
        await set_address(session, RecipientKind.RESIDENT, resident.id, channel, address)
        return resident
    resident, unreachable = found
    if unreachable:  # writing to the bot again undoes a block that made them unreachable
        await mark_reachable(session, RecipientKind.RESIDENT, resident.id, channel)
    if resident.display_name != display_name:
        resident.display_name = display_name
    return resident


async def tickets_of(
    session: AsyncSession, resident: Resident, offset: int, limit: int
) -> tuple[list[Ticket], int]:
    """A page of the resident's tickets, newest first, and how many they have in all."""
    total = await session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.resident_id == resident.id)
    )
    page = await session.scalars(
        select(Ticket)
        .where(Ticket.resident_id == resident.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(page), total or 0


async def ticket_of(session: AsyncSession, resident: Resident, ticket_id: int) -> Ticket | None:
    """The ticket, if it is the resident's own; None for anyone else's."""
    ticket = await session.get(Ticket, ticket_id)
    return ticket if ticket is not None and ticket.resident_id == resident.id else None


async def timeline_of(session: AsyncSession, ticket: Ticket) -> list[TicketEvent]:
    return list(
        await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
    )


def keep_phone(resident: Resident, phone: str) -> None:
    """The phone number the resident shared (their own: the front door checks it); shown to
    deputies only on tickets where the resident chose to show their name."""
    resident.phone = phone.strip()[:32]
