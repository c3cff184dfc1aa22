"""Queries on the outbox that the core, the channels and the sender share."""

from datetime import datetime

from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage, OutboxPurpose, OutboxStatus, RecipientKind, Ticket
from storage.models.delivery import DeliveredPart


async def first_message(
    session: AsyncSession, ticket_id: int, purpose: OutboxPurpose
) -> OutboxMessage | None:
    """The first message of this purpose about the ticket (its card, say)."""
    return await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.purpose == purpose)
        .order_by(OutboxMessage.id)
        .limit(1)
    )


async def latest_message(
    session: AsyncSession,
    ticket_id: int,
    purpose: OutboxPurpose,
    kind: RecipientKind,
    recipient_id: int,
) -> OutboxMessage | None:
    """The newest message of this purpose about the ticket to this recipient (its card in
    the group holding it, say)."""
    return await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.purpose == purpose,
            OutboxMessage.recipient_kind == kind,
            OutboxMessage.recipient_id == recipient_id,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


async def ticket_of_delivered(session: AsyncSession, address: str, receipt: str) -> Ticket | None:
    """The ticket a delivered message is about, from where it went and the channel's id of it
    or of any part of it (a long card arrives in several)."""
    part_of = select(DeliveredPart.outbox_id).where(
        DeliveredPart.address == address, DeliveredPart.receipt == receipt
    )
    return await session.scalar(
        select(Ticket)
        .join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
        .where(
            or_(
                (OutboxMessage.address == address) & (OutboxMessage.receipt == receipt),
                OutboxMessage.id.in_(part_of),
            )
        )
        .limit(1)
    )


# Built once: an alias made per call costs its columns' proxies anew, about 8 ms of CPU a
# look at the outbox (bench/updates.py, profiled with py-spy).
_EARLIER = aliased(OutboxMessage, name="earlier")
_QUEUED_BEFORE = exists().where(
    _EARLIER.recipient_kind == OutboxMessage.recipient_kind,
    _EARLIER.recipient_id == OutboxMessage.recipient_id,
    _EARLIER.status == OutboxStatus.PENDING,
    _EARLIER.id < OutboxMessage.id,
)


async def claim_due(
    session: AsyncSession, now: datetime, until: datetime, limit: int
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows until `until`: only the oldest pending row of each
    recipient (so a recipient's messages keep their order, whoever sends them), skipping rows
    another sender holds locked (PostgreSQL; SQLite has one writer at a time anyway)."""
    due = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            ~_QUEUED_BEFORE,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    )
    rows = list(due)
    for message in rows:
        message.next_attempt_at = until
    return rows


async def renew_lease(session: AsyncSession, row: int, until: datetime) -> None:
    """The sender still has the row in hand (a long send): keep it from other senders."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row, OutboxMessage.status == OutboxStatus.PENDING)
        .values(next_attempt_at=until)
    )


async def fail_pending_of(
    session: AsyncSession, kind: RecipientKind, recipient_id: int, reason: str
) -> list[OutboxMessage]:
    """Fail every pending row of the recipient with this reason; returns them."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.recipient_kind == kind,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .order_by(OutboxMessage.id)
        )
    )
    for row in rows:
        row.status = OutboxStatus.FAILED
        row.last_error = reason
    return rows


async def mark_sent(
    session: AsyncSession,
    row: int,
    at: datetime,
    address: str,
    receipt: str,
    parts: tuple[str, ...] = (),
) -> bool:
    """Record a delivery (one statement: a reply to the message finds it as soon as it can);
    False if the row was no longer pending."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENT,
            sent_at=at,
            address=address,
            receipt=receipt,
            last_error=None,
            attempts=OutboxMessage.attempts + 1,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return False
    if parts:
        await session.execute(
            insert(DeliveredPart),
            [{"outbox_id": row, "address": address, "receipt": part} for part in parts],
        )
    return True
