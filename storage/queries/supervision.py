"""What the supervisor needs from the database: claims of reminders and digests that hold
across processes (the unique rows, inserted with ON CONFLICT DO NOTHING on both databases; the
row count says whether this transaction made the claim), and PostgreSQL's advisory lock, so
that one process at a time sweeps."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, Select, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import DeputyGroup, DigestSent, Ticket, TicketReminder, TicketStatus

# pg_advisory_lock's key for the supervisor ("LSBSUP" in ASCII), the same in every process.
SUPERVISOR_LOCK = 0x4C5342535550


def _insert_new(session: AsyncSession, model: type[Any]) -> Insert:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model)


async def claim_reminder(
    session: AsyncSession, ticket_id: int, kind: str, due: datetime, now: datetime
) -> bool:
    """Record that this reminder is being sent; False if it was recorded before (by this
    process or another). Waits for another transaction claiming the same one to finish."""
    statement = (
        _insert_new(session, TicketReminder)
        .values(ticket_id=ticket_id, kind=kind, due=due, sent_at=now)
        .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "due"])
    )
    return bool((await session.execute(statement)).rowcount)


async def claim_digest(session: AsyncSession, group_id: int, day: date, now: datetime) -> bool:
    """Record that the group's digest of `day` is decided; False if it was already."""
    statement = (
        _insert_new(session, DigestSent)
        .values(group_id=group_id, day=day, sent_at=now)
        .on_conflict_do_nothing(index_elements=["group_id", "day"])
    )
    return bool((await session.execute(statement)).rowcount)


async def groups_without_digest(session: AsyncSession, day: date) -> list[int]:
    """Active deputy groups whose digest of `day` is not decided yet."""
    decided = select(DigestSent.group_id).where(DigestSent.day == day)
    rows = await session.scalars(
        select(DeputyGroup.id)
        .where(DeputyGroup.active.is_(True), DeputyGroup.id.not_in(decided))
        .order_by(DeputyGroup.id)
    )
    return list(rows)


def _watched(
    statuses: frozenset[TicketStatus], not_accepted: frozenset[TicketStatus], horizon: datetime
) -> Select[tuple[int]]:
    return select(Ticket.id).where(
        Ticket.status.in_(statuses),
        Ticket.deputy_group_id.is_not(None),
        (Ticket.answer_due <= horizon)
        | (Ticket.status.in_(not_accepted) & (Ticket.acknowledge_due <= horizon)),
    )


async def watched_tickets(
    session: AsyncSession,
    statuses: frozenset[TicketStatus],
    not_accepted: frozenset[TicketStatus],
    horizon: datetime,
) -> tuple[list[Ticket], set[tuple[int, str, datetime]]]:
    """Tickets with a deputy group in `statuses` whose answer deadline falls before
    `horizon`, or in `not_accepted` whose acceptance deadline does (the ones a warning may
    concern now), and the reminders already claimed for them: (ticket id, kind, due)."""
    watched = _watched(statuses, not_accepted, horizon)
    tickets = await session.scalars(
        select(Ticket).where(Ticket.id.in_(watched.scalar_subquery())).order_by(Ticket.id)
    )
    claimed = await session.execute(
        select(TicketReminder.ticket_id, TicketReminder.kind, TicketReminder.due).where(
            TicketReminder.ticket_id.in_(watched.scalar_subquery())
        )
    )
    return list(tickets), {(row.ticket_id, row.kind, row.due) for row in claimed}


async def group_tickets(
    session: AsyncSession, group_id: int, statuses: frozenset[TicketStatus]
) -> list[Ticket]:
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.deputy_group_id == group_id, Ticket.status.in_(statuses))
        .order_by(Ticket.answer_due, Ticket.id)
    )
    return list(rows)


async def try_advisory_lock(connection: AsyncConnection, key: int = SUPERVISOR_LOCK) -> bool:
    """PostgreSQL: take the session-level advisory lock if free. It is held as long as this
    connection lives: if the process dies, the server drops it and another may take it."""
    return bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))


async def advisory_unlock(connection: AsyncConnection, key: int = SUPERVISOR_LOCK) -> None:
    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


async def still_connected(connection: AsyncConnection) -> bool:
    try:
        await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
