"""A ticket's timeline: who did what, when, appended with every step (append-only)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import TICKET
from storage.models import Actor, Ticket, TicketEvent, TimelineAction


@dataclass(frozen=True)
class Who:
    """Who takes a step: a resident, a deputy, staff or the system, and their id."""

    actor: Actor
    id: int | None = None
    name: str | None = None  # a deputy's name, kept on the timeline as it was that day


SYSTEM = Who(Actor.SYSTEM)


def record(
    session: AsyncSession,
    ticket: Ticket,
    who: Who,
    action: TimelineAction,
    at: datetime,
    **detail: object,
) -> None:
    TICKET.set(ticket.number)  # the log lines that follow name it
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
