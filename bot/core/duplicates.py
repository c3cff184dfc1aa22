"""Possible duplicates of a ticket (共性问题): open tickets of the same area or category whose
text is similar, by the Jaccard similarity of their character bigrams — a measure that needs
no word segmentation and suits Chinese, where two characters usually make a word."""

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.scope import Scope
from bot.core.workflow import OPEN
from storage.models import Ticket

CANDIDATES = 300  # the newest open tickets of the same area or category looked at
THRESHOLD = 0.25
SHOWN = 5


def bigrams(text: str) -> set[str]:
    letters = "".join(ch for ch in text.lower() if ch.isalnum())
    return {letters[i : i + 2] for i in range(len(letters) - 1)} or {letters}


def similarity(a: str, b: str) -> float:
    first, second = bigrams(a), bigrams(b)
    return len(first & second) / len(first | second) if first | second else 0.0


async def similar_open_tickets(
    session: AsyncSession, scope: Scope, ticket: Ticket
) -> list[tuple[Ticket, float]]:
    same_place = [Ticket.area_id == ticket.area_id] if ticket.area_id else []
    same_topic = [Ticket.category_id == ticket.category_id] if ticket.category_id else []
    if not same_place and not same_topic:
        return []
    candidates = await session.scalars(
        select(Ticket)
        .where(
            scope.tickets(),
            Ticket.id != ticket.id,
            Ticket.status.in_(OPEN),
            or_(*same_place, *same_topic),
        )
        .order_by(Ticket.created_at.desc())
        .limit(CANDIDATES)
    )
    scored = [(other, similarity(ticket.text, other.text)) for other in candidates]
    found = sorted((pair for pair in scored if pair[1] >= THRESHOLD), key=lambda p: -p[1])
    return found[:SHOWN]
