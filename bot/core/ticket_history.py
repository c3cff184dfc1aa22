"""What the panel shows of a ticket: its timeline and the messages about it that went out
(to the resident and the group), with their delivery and failures, in time order."""

import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Category, DeputyGroup, OutboxMessage, Ticket, TicketEvent


def plain(text: str) -> str:
    """A message's words without the channel's markup (Telegram HTML), as staff read them."""
    return unescape(re.sub(r"<[^>]+>", "", text))


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # a TimelineAction, or "message"
    actor: str
    detail: dict[str, Any]


async def history(session: AsyncSession, ticket: Ticket) -> list[Entry]:
    events = await session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    )
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
    )
    entries = [Entry(e.at, e.action.value, e.actor.value, e.detail or {}) for e in events]
    entries += [
        Entry(
            m.created_at,
            "message",
            m.recipient_kind.value,
            {
                "purpose": m.purpose.value,
                "status": m.status.value,
                "text": plain(str(m.payload.get("text", ""))),
                "error": m.last_error,
                "sent_at": m.sent_at,
            },
        )
        for m in messages
    ]
    return sorted(entries, key=lambda entry: entry.at)


async def choices(session: AsyncSession, group_ids: frozenset[int] | None) -> dict[str, list]:
    """The groups (within scope; None: all) and categories a form may offer. A group is offered
    by its id and name only: every inbox page lists hundreds, and loading each as a whole (with
    its station) cost more than the inbox's own queries."""
    groups = (
        select(DeputyGroup.id, DeputyGroup.name)
        .where(DeputyGroup.active.is_(True))
        .order_by(DeputyGroup.id)
    )
    if group_ids is not None:
        groups = groups.where(DeputyGroup.id.in_(group_ids))
    categories = select(Category).where(Category.active.is_(True)).order_by(Category.id)
    return {
        "groups": list(await session.execute(groups)),
        "categories": list(await session.scalars(categories)),
    }
