"""Receptions' reminders, claimed once across processes (a unique row inserted with ON
CONFLICT DO NOTHING, both databases; the row count says whether this transaction claimed it),
and the issues raised at receptions by people who had not signed up."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReceptionReminder, ReceptionTicket


async def claim_reception_reminder(
    session: AsyncSession,
    reception_id: int,
    recipient: tuple[str, int],
    kind: str,
    starts_at: datetime,
    now: datetime,
) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReceptionReminder)
        .values(
            reception_id=reception_id,
            recipient_kind=recipient[0],
            recipient_id=recipient[1],
            kind=kind,
            starts_at=starts_at,
            sent_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["reception_id", "recipient_kind", "recipient_id", "kind", "starts_at"]
        )
    )
    return bool((await session.execute(statement)).rowcount)


async def claimed_reminders(
    session: AsyncSession, reception_ids: list[int]
) -> set[tuple[int, str, int, str, datetime]]:
    rows = await session.execute(
        select(
            ReceptionReminder.reception_id,
            ReceptionReminder.recipient_kind,
            ReceptionReminder.recipient_id,
            ReceptionReminder.kind,
            ReceptionReminder.starts_at,
        ).where(ReceptionReminder.reception_id.in_(reception_ids))
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


async def unclaimed_walk_in(session: AsyncSession, ticket_id: int) -> bool:
    """Whether the ticket was raised at a reception by someone who had not signed up and has
    not claimed it in the bot."""
    found = await session.scalar(
        select(ReceptionTicket.id).where(
            ReceptionTicket.ticket_id == ticket_id,
            ReceptionTicket.claim_code.is_not(None),
            ReceptionTicket.claimed_at.is_(None),
        )
    )
    return found is not None
