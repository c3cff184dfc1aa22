"""Tickets, their timeline and their numbering."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column
from storage.models.directory import Area, DeputyGroup
from storage.models.residents import Resident


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ANSWERED = "answered"


class Actor(enum.StrEnum):
    """Who did something to a ticket."""

    RESIDENT = "resident"
    DEPUTY = "deputy"
    STAFF = "staff"
    SYSTEM = "system"


class TimelineAction(enum.StrEnum):
    """What happened to a ticket; the details go in the event's `detail`."""

    SUBMITTED = "submitted"
    ROUTED = "routed"
    UNROUTED = "unrouted"
    CARD_NOT_SENT = "card_not_sent"
    REPLIED = "replied"
    STATUS_CHANGED = "status_changed"


class Ticket(Base):
    """One item of the closed loop: an opinion, complaint or suggestion (选民意见)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The channel's idempotency key: a double submit of the same draft makes one ticket.
    intake_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    deputy_group_id: Mapped[int | None] = mapped_column(ForeignKey("deputy_groups.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    resident: Mapped[Resident] = relationship()
    area: Mapped[Area | None] = relationship()
    deputy_group: Mapped[DeputyGroup | None] = relationship()


class TicketEvent(Base):
    """The append-only timeline of a ticket: who did what, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[Actor] = mapped_column(enum_column(Actor))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[TimelineAction] = mapped_column(enum_column(TimelineAction))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TicketCounter(Base):
    """The last ticket number given per prefix and year (A-2026-000123)."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
