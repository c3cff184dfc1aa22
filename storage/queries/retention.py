"""Data retention: the personal data of tickets concluded long ago, removed in place."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)

BATCH = 500  # tickets anonymised per transaction


async def concluded_before(
    session: AsyncSession, concluded: frozenset[TicketStatus], before: datetime
) -> list[int]:
    """Up to BATCH tickets in a `concluded` state since before `before` and not yet
    anonymised (an anonymised ticket's text is empty), locked against a concurrent purge."""
    rows = await session.scalars(
        select(Ticket.id)
        .where(
            Ticket.status.in_(concluded),
            func.coalesce(Ticket.closed_at, Ticket.updated_at) < before,
            Ticket.text != "",
        )
        .order_by(Ticket.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def anonymise(session: AsyncSession, ticket_ids: list[int]) -> None:
    """What a resident or deputy wrote goes: the ticket's text, the rating's comment, the
    reason given at its conclusion, the replies in its timeline and the messages sent about
    it. What counts (states, dates, area, group, category, rating) stays."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids))
        .values(text="", rating_comment=None, close_reason=None, extension_reason=None)
        .execution_options(synchronize_session=False)
    )
    replies = await session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action == TimelineAction.REPLIED
        )
    )
    for event in replies:
        event.detail = {key: value for key, value in event.detail.items() if key != "text"}
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ticket_id.in_(ticket_ids), OutboxMessage.status != OutboxStatus.PENDING
        )
        .values(payload={"text": ""})
        .execution_options(synchronize_session=False)
    )
