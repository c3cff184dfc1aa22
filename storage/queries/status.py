"""What the operator's metrics and readiness check read: tickets by state, overdue tickets,
the outbox's depth and how late its oldest due row is, and the schema's revision."""

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus, Ticket, TicketStatus


async def tickets_by_status(session: AsyncSession) -> dict[TicketStatus, int]:
    rows = await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    return {TicketStatus(status): count for status, count in rows}


async def overdue_tickets(session: AsyncSession, statuses: frozenset[TicketStatus]) -> int:
    """Tickets in `statuses` (those a deputy group holds) marked overdue."""
    count = await session.scalar(
        select(func.count()).where(Ticket.status.in_(statuses), Ticket.overdue_since.is_not(None))
    )
    return count or 0


async def outbox_backlog(session: AsyncSession, now: datetime) -> tuple[int, float]:
    """Rows pending, and how many seconds the oldest of those due now has waited (0 if none)."""
    pending = OutboxMessage.status == OutboxStatus.PENDING
    depth = await session.scalar(select(func.count()).where(pending)) or 0
    oldest = await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            pending, OutboxMessage.next_attempt_at <= now
        )
    )
    return depth, (now - oldest).total_seconds() if oldest is not None else 0.0


async def ping(session: AsyncSession) -> None:
    """Raises unless the database answers."""
    await session.execute(text("SELECT 1"))


async def schema_revision(session: AsyncSession) -> str | None:
    """The Alembic revision the database is at (None when it has none)."""
    try:
        rows = await session.scalars(text("SELECT version_num FROM alembic_version"))
    except Exception:
        return None
    return ",".join(sorted(rows.all())) or None
