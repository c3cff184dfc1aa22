"""Queries on the outbox that the core, the channels and the sender share."""

from datetime import datetime

from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    GroupChat,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    RecipientKind,
    Ticket,
)
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


async def thread_anchor(session: AsyncSession, message: OutboxMessage, address: str) -> str | None:
    """Where a group message about a ticket belongs: under the ticket's card in that chat
    (its newest delivered one), so the ticket's thread reads as one. None for the card itself
    or a message about no ticket."""
    if message.ticket_id is None or message.purpose in (
        OutboxPurpose.CARD,
        OutboxPurpose.CARD_UPDATE,
    ):
        return None
    return await thread_anchor_of(session, message.ticket_id, address)


async def thread_anchor_of(session: AsyncSession, ticket_id: int, address: str) -> str | None:
    """The channel's id of the ticket's newest delivered card at that address."""
    return await session.scalar(
        select(OutboxMessage.receipt)
        .where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.purpose.in_((OutboxPurpose.CARD, OutboxPurpose.CARD_UPDATE)),
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.address == address,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


async def group_chat_of(session: AsyncSession, group_id: int) -> GroupChat | None:
    """The group's chat as the bot knows it (topics, whether it removed the bot)."""
    return await session.scalar(select(GroupChat).where(GroupChat.group_id == group_id))


async def topic_of(
    session: AsyncSession, message: OutboxMessage, address: str, chat: GroupChat | None
) -> tuple[str | None, str, bool, str] | None:
    """In a group with a topic per ticket, a message about a ticket goes to the ticket's
    topic: the thread its messages went to last (None: to be created) and the topic as the
    newest card describes it (name, closed, what a recreated topic says). None in a group
    without topics (`chat`: the group's, from `group_chat_of`)."""
    if chat is None or not chat.topics or message.ticket_id is None:
        return None
    cards = (OutboxPurpose.CARD, OutboxPurpose.CARD_UPDATE)
    payload = await session.scalar(
        select(OutboxMessage.payload)
        .where(
            OutboxMessage.ticket_id == message.ticket_id,
            OutboxMessage.purpose.in_(cards),
            OutboxMessage.recipient_kind == message.recipient_kind,
            OutboxMessage.recipient_id == message.recipient_id,
            OutboxMessage.id <= message.id,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if not payload or not payload.get("topic"):
        return None
    name, closed, recreated = payload["topic"]
    thread = await session.scalar(
        select(OutboxMessage.thread)
        .where(
            OutboxMessage.ticket_id == message.ticket_id,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.address == address,
            OutboxMessage.thread.is_not(None),
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    return thread, str(name), bool(closed), str(recreated)


async def ticket_of_thread(session: AsyncSession, address: str, thread: str) -> Ticket | None:
    """The ticket whose topic this is (the thread its messages went to)."""
    return await session.scalar(
        select(Ticket)
        .join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
        .where(OutboxMessage.address == address, OutboxMessage.thread == thread)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


async def delivered(session: AsyncSession, address: str, receipt: str) -> OutboxMessage | None:
    """The outbox row a delivered message (or any part of it) came from."""
    part_of = select(DeliveredPart.outbox_id).where(
        DeliveredPart.address == address, DeliveredPart.receipt == receipt
    )
    return await session.scalar(
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.address == address) & (OutboxMessage.receipt == receipt),
                OutboxMessage.id.in_(part_of),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )


async def claim_due(
    session: AsyncSession, now: datetime, until: datetime, limit: int
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows until `until`: only the oldest pending row of each
    recipient (so a recipient's messages keep their order, whoever sends them), skipping rows
    another sender holds locked (PostgreSQL). SQLite locks no rows: two senders may read the
    same row as due, so the lease itself asks again, and a row another sender leased between
    the read and the lease is left to it."""
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
    if not rows:
        return rows
    leased = set(
        await session.scalars(  # one statement for the lease of them all
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([message.id for message in rows]),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=until)
            .returning(OutboxMessage.id)
        )
    )
    return [message for message in rows if message.id in leased]


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
    thread: str | None = None,
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
            thread=thread,
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
