"""Receptions (接待): where deputies meet residents, the residents' sign-ups, the stations
they follow, and the reminders claimed once each."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column
from storage.models.directory import Deputy, DeputyGroup, Station
from storage.models.tickets import Rating


class ReceptionKind(enum.StrEnum):
    NIGHT = "night"  # 夜间接待: evenings, for residents who work during the day
    THEMED = "themed"  # 主题接待: one topic, often with a department invited
    MICRO = "micro"  # 微接待: a few residents and one deputy, short
    ONLINE = "online"  # 智慧接待: a chat or call at a set time


class ReceptionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Reception(Base):
    """A reception (接待) at a station, or online, in a time window, with deputies on duty."""

    __tablename__ = "receptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReceptionKind] = mapped_column(enum_column(ReceptionKind))
    status: Mapped[ReceptionStatus] = mapped_column(enum_column(ReceptionStatus), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    # The deputy group that receives the sign-up list and works from its chat.
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(300))  # None: online
    how_to_join: Mapped[str | None] = mapped_column(Text)  # online: a link, a number
    capacity: Mapped[int] = mapped_column(Integer)
    theme: Mapped[str | None] = mapped_column(String(300))
    department: Mapped[str | None] = mapped_column(String(200))  # invited (主题接待)
    # A regular schedule of the directory file makes receptions with a key of their own.
    schedule_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Attendance and outcomes recorded; the residents who came were asked to rate it.
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    station: Mapped[Station] = relationship(lazy="joined")
    group: Mapped[DeputyGroup] = relationship(lazy="joined")
    duties: Mapped[list["ReceptionDuty"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ReceptionDuty.id"
    )


class ReceptionDuty(Base):
    """A deputy on duty at a reception, and whether they came (recorded afterwards)."""

    __tablename__ = "reception_duties"
    __table_args__ = (UniqueConstraint("reception_id", "deputy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("receptions.id", ondelete="CASCADE"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), index=True)
    attended: Mapped[bool | None] = mapped_column(Boolean)

    deputy: Mapped[Deputy] = relationship(lazy="joined")


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # has a place
    WAITLISTED = "waitlisted"  # waits for a place; promoted in order when one is freed
    CANCELLED = "cancelled"  # by the resident, or with the reception


class ReceptionSignup(Base):
    """A resident's sign-up for a reception, with a short check-in code."""

    __tablename__ = "reception_signups"
    __table_args__ = (
        UniqueConstraint("reception_id", "resident_id"),
        UniqueConstraint("reception_id", "code", name="uq_reception_signups_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("receptions.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[SignupStatus] = mapped_column(enum_column(SignupStatus))
    code: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(Text)  # what they want to raise, in a line
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)  # deputies may see it
    # The waitlist's order: when the resident (last) asked for a place.
    queued_at: Mapped[datetime]
    # When the resident got their place (signed up with one, or moved up from the waitlist):
    # the reminders that fell due before it are not sent.
    placed_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # How the resident who came rated the reception (满意度测评).
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    rated_at: Mapped[datetime | None]


class ReceptionTicket(Base):
    """An opinion or suggestion raised at a reception: the ticket it became, and the sign-up
    of the resident who raised it. Raised by someone who came without signing up (现场群众),
    it has a claim code instead, given to them on the spot: sent to the bot, it makes the
    ticket theirs to follow."""

    __tablename__ = "reception_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("receptions.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("reception_signups.id"))
    claim_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ReceptionChange(Base):
    """The history of a reception: what changed (the fields before and after), who, when, and
    how many residents were told of it (None: recorded before this was counted)."""

    __tablename__ = "reception_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("receptions.id"), index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(100))  # a staff member, a deputy, the directory
    action: Mapped[str] = mapped_column(String(16))  # created, changed, cancelled
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    told: Mapped[int | None]


class ReceptionSubscription(Base):
    """A resident follows a station's announcements: new receptions, changes, cancellations."""

    __tablename__ = "reception_subscriptions"
    __table_args__ = (UniqueConstraint("resident_id", "station_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    created_at: Mapped[datetime]


class ReceptionReminder(Base):
    """A reminder sent for a reception (to a signed-up resident, or the sign-up list to the
    group): claimed by this unique row in the transaction that queues it, so it is sent once
    across restarts and processes. A moved reception (new start) gets reminders anew."""

    __tablename__ = "reception_reminders"
    __table_args__ = (
        UniqueConstraint("reception_id", "recipient_kind", "recipient_id", "kind", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("receptions.id"))
    recipient_kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # day_before, two_hours, signup_list
    starts_at: Mapped[datetime]
    sent_at: Mapped[datetime]


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for a deputy to propose times
    PROPOSED = "proposed"  # times proposed, waiting for the resident
    SCHEDULED = "scheduled"  # the resident picked one: a micro reception is scheduled
    DECLINED = "declined"  # none suited the resident; the deputies may propose again


class ReceptionRequest(Base):
    """A resident's request for a micro reception (微接待); its ticket runs the loop."""

    __tablename__ = "reception_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    topic: Mapped[str] = mapped_column(Text)
    days: Mapped[str] = mapped_column(String(16))  # weekdays, weekend, any
    times: Mapped[str] = mapped_column(String(16))  # morning, afternoon, evening, any
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus))
    slots: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[start, end] ISO], proposed
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"))
    reception_id: Mapped[int | None] = mapped_column(ForeignKey("receptions.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
