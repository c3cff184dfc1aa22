"""Queries on tickets that several front doors share."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket, TicketEvent, TicketStatus, TimelineAction


async def tickets_awaiting_triage(session: AsyncSession) -> list[Ticket]:
    """Tickets no deputy group holds, oldest first: staff must assign them (待分派)."""
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.status == TicketStatus.AWAITING_TRIAGE)
            .order_by(Ticket.created_at, Ticket.id)
        )
    )


async def groups_that_held(session: AsyncSession, ticket_id: int) -> set[int]:
    """The deputy groups a ticket has been routed to, from its timeline."""
    events = await session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.action == TimelineAction.ROUTED
        )
    )
    return {int(event.detail["group_id"]) for event in events}
