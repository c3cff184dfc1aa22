"""A ticket's timeline: who did what, when, appended with every step (append-only)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import TICKET
from storage.models import Actor, Rating, Ticket, TicketEvent, TimelineAction


@dataclass(frozen=True)
class Who:
    """Who takes a step: a resident, a deputy, staff or the system, and their id."""

    actor: Actor
    id: int | None = None
    name: str | None = None  # a deputy's name, kept on the timeline as it was that day


SYSTEM = Who(Actor.SYSTEM)
# The first of these on a ticket's timeline is its answer (fed back, 已反馈): for reports.
ANSWERING = frozenset({"answered", "closed", "unresolvable"})


def responds(who: Who, action: TimelineAction) -> bool:
    """A step that answers the resident's raising of it: any step of a deputy, or staff's own
    message to the resident (staff assigning it is not yet a response)."""
    return who.actor == Actor.DEPUTY or action == TimelineAction.STAFF_REPLIED


def record(
    session: AsyncSession,
    ticket: Ticket,
    who: Who,
    action: TimelineAction,
    at: datetime,
    **detail: object,
) -> None:
    TICKET.set(ticket.number)  # the log lines that follow name it
    if ticket.first_response_at is None and responds(who, action):
        ticket.first_response_at = at
    answering = action == TimelineAction.STATUS_CHANGED and detail.get("to") in ANSWERING
    if ticket.answered_at is None and answering:
        ticket.answered_at = at
    if detail.get("rating") in set(Rating):
        ticket.last_rating = Rating(str(detail["rating"]))
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=at,
            actor=who.actor,
            actor_id=who.id,
            action=action,
            detail={"by": who.name, **detail} if who.name else detail,
        )
    )
