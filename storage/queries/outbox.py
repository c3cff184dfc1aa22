"""Queries on the outbox that the core and the channels share."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxPurpose, RecipientKind, Ticket


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
    """The ticket a delivered message is about, from where it went and the channel's id."""
    return await session.scalar(
        select(Ticket)
        .join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
        .where(OutboxMessage.address == address, OutboxMessage.receipt == receipt)
        .limit(1)
    )
