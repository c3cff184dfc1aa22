"""Tickets, their timeline and their numbering."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column
from storage.models.directory import Area, DeputyGroup
from storage.models.residents import Resident


class TicketStatus(enum.StrEnum):
    """Where a ticket stands in the closed loop; `bot.core.workflow` holds which step may
    follow which, and who may take it."""

    AWAITING_TRIAGE = "awaiting_triage"  # 待分派: no group yet, staff assign it
    ASSIGNED = "assigned"  # 已分派: with a deputy group
    ACCEPTED = "accepted"  # 已受理: a deputy of the group took it on
    IN_PROGRESS = "in_progress"  # 办理中
    FORWARDED = "forwarded"  # 已转交部门
    ANSWERED = "answered"  # 已答复
    CLOSED = "closed"  # 已办结: resolved
    UNRESOLVABLE = "unresolvable"  # 已办结: not resolvable now, with a reason
    RATED = "rated"  # 已评价
    REOPENED = "reopened"  # 重新办理: after an unsatisfied rating
    MERGED = "merged"  # 已合并 into another ticket
    ESCALATED = "escalated"  # 已上报: to staff, or to a formal channel


class Rating(enum.StrEnum):
    """满意度测评."""

    SATISFIED = "satisfied"  # 满意
    FAIRLY_SATISFIED = "fairly_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Escalation(enum.StrEnum):
    STAFF = "staff"  # to the street working committee
    RECESS_SUGGESTION = "recess_suggestion"  # 闭会期间意见建议 to a department
    SUMMONS = "summons"  # 约见 of a department head
    INQUIRY = "inquiry"  # 专题询问


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
    REROUTED = "rerouted"
    CARD_NOT_SENT = "card_not_sent"
    REPLIED = "replied"
    STATUS_CHANGED = "status_changed"
    RATING_ASKED = "rating_asked"
    RATED = "rated"  # an unsatisfied rating (the satisfied ones change the status)
    EXTENDED = "extended"
    ADDED = "added"  # the resident added to it after submitting (the text is in `detail`)
    WARNED = "warned"
    OVERDUE = "overdue"
    ASKED_RESIDENT = "asked_resident"  # a deputy asked the resident for more (需补充)
    SUPPLEMENTED = "supplemented"  # the resident's answer to that question
    EDITED = "edited"  # a message passed on was edited where it was written, and passed on
    # Raised at a reception by someone who had not signed up; they took it up in the bot.
    CLAIMED = "claimed"
    # Staff in the panel
    NOTE = "note"  # an internal note, never shown to the resident
    PRIORITY_SET = "priority_set"
    CATEGORY_CHANGED = "category_changed"
    STAFF_REPLIED = "staff_replied"  # staff's own message to the resident
    SUGGESTED = "suggested"  # gathered into a suggestion during the recess
    SUGGESTION_ANSWERED = "suggestion_answered"  # the department answered that suggestion


class Priority(enum.StrEnum):
    """How urgent staff judge a ticket."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# What a dashboard counts of each ticket (`ix_tickets_report_*` include them on PostgreSQL).
REPORT_COLUMNS = [
    "deputy_group_id",
    "category_id",
    "status",
    "last_rating",
    "reopen_count",
    "overdue_since",
    "first_response_at",
    "answered_at",
]


class Ticket(Base):
    """One item of the closed loop: an opinion or suggestion (意见建议) a resident raised."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The channel's idempotency key: a double submit of the same draft makes one ticket.
    intake_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    deputy_group_id: Mapped[int | None] = mapped_column(ForeignKey("deputy_groups.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    text: Mapped[str] = mapped_column(Text)
    # The resident let the deputies see their name; otherwise the card says "a resident of …".
    resident_named: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)  # the inbox's order
    updated_at: Mapped[datetime]
    # Handling
    holder_deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"))
    department: Mapped[str | None] = mapped_column(String(200))
    department_expected: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    escalation: Mapped[Escalation | None] = mapped_column(enum_column(Escalation))
    priority: Mapped[Priority] = mapped_column(
        enum_column(Priority), default=Priority.NORMAL, server_default="normal"
    )
    reroute_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Satisfaction
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    # Deadlines (限时办理): set by `bot.core.deadlines`, watched by the supervisor
    acknowledge_due: Mapped[datetime | None]
    answer_due: Mapped[datetime | None] = mapped_column(index=True)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    overdue_since: Mapped[datetime | None] = mapped_column(index=True)
    # Read off the timeline as it is written (`bot.core.timeline.record`), for reports: the
    # first step a deputy (or staff's own message) took, and the first answer or closing.
    first_response_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # The last rating the resident gave: `rating` is cleared when an unsatisfied one reopens
    # the ticket, the dashboards still count it.
    last_rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    # Staff marked it for the public results page (五公开): shown there only as its category,
    # community, month and outcome, never its words.
    publishable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        # The inbox's overdue tickets, oldest first, and how many are still open, without
        # reading every ticket: the state is in the index, so the count reads nothing else.
        Index(
            "ix_tickets_overdue_open",
            "created_at",
            "id",
            "status",
            postgresql_where=sql_text("overdue_since IS NOT NULL"),
            sqlite_where=sql_text("overdue_since IS NOT NULL"),
        ),
        # A group's inbox by deadline (the earliest first, those without one last): its first
        # page is the index's first entries for the group.
        Index("ix_tickets_group_due", "deputy_group_id", "answer_due", "id"),
        # The closed tickets not rated yet (the inbox's "unrated"), without a scan.
        Index(
            "ix_tickets_unrated",
            "status",
            postgresql_where=sql_text("rating IS NULL"),
            sqlite_where=sql_text("rating IS NULL"),
        ),
        # A station's public results page (五公开): a year of its groups' tickets from the index
        # alone on PostgreSQL, and the few marked publishable, newest first.
        Index(
            "ix_tickets_group_period",
            "deputy_group_id",
            "created_at",
            postgresql_include=[c for c in REPORT_COLUMNS if c != "deputy_group_id"],
        ),
        Index(
            "ix_tickets_published",
            "deputy_group_id",
            "created_at",
            postgresql_where=sql_text("publishable IS true"),
            sqlite_where=sql_text("publishable IS 1"),
        ),
        # The dashboards (`bot.core.reports`): a period of a street's or district's areas, and
        # a period of the whole city, each read from the index alone on PostgreSQL (the
        # columns the figures need are included), without visiting a million rows.
        Index(
            "ix_tickets_report_area",
            "area_id",
            "created_at",
            postgresql_include=REPORT_COLUMNS,
        ),
        Index("ix_tickets_report_period", "created_at", postgresql_include=REPORT_COLUMNS),
    )

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

    __table_args__ = (
        # A deputy's duty record (履职档案) reads their steps off the timeline.
        Index(
            "ix_ticket_events_deputy",
            "actor_id",
            "at",
            postgresql_where=sql_text("actor = 'deputy'"),
            sqlite_where=sql_text("actor = 'deputy'"),
        ),
    )


class TicketCounter(Base):
    """The last ticket number given per prefix and year (A-2026-000123)."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class TicketReminder(Base):
    """A deadline warning or notice sent for a ticket: recorded with its message, so a
    sweep run twice (or by two processes) never sends it twice."""

    __tablename__ = "ticket_reminders"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(32))  # e.g. answer_soon, answer_due, overdue
    due: Mapped[datetime]
    sent_at: Mapped[datetime]


class DigestSent(Base):
    """The daily digest of a deputy group, once a day at most."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("group_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime]
