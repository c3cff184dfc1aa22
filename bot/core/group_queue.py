"""A deputy group's open tickets, oldest first, as `/queue` lists them in its chat, and which
group a chat belongs to."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.workflow import OPEN
from storage.models import DeputyGroup, RecipientKind, Ticket
from storage.queries.contacts import recipient_at
from storage.queries.outbox import thread_anchor_of


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    card: str | None  # the channel's id of the ticket's card in the chat, if it arrived


async def group_of_chat(session: AsyncSession, channel: str, address: str) -> DeputyGroup | None:
    group_id = await recipient_at(session, RecipientKind.DEPUTY_GROUP, channel, address)
    return await session.get(DeputyGroup, group_id) if group_id is not None else None


async def group_queue(session: AsyncSession, group: DeputyGroup, address: str) -> list[QueueItem]:
    tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.deputy_group_id == group.id, Ticket.status.in_(OPEN))
        .order_by(Ticket.created_at, Ticket.id)
    )
    return [
        QueueItem(ticket, await thread_anchor_of(session, ticket.id, address)) for ticket in tickets
    ]
