"""Staff of the street working committees (街道人大工委) and of the district: their accounts,
invitations, server-side sessions of the panel, and the audit log of what they changed."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column
from storage.models.directory import Area


class StaffRole(enum.StrEnum):
    ADMINISTRATOR = "administrator"  # city or district: everything
    STREET = "street"  # street staff: only the stations of their streets
    OBSERVER = "observer"  # statistics only, no personal data


staff_streets = Table(
    "staff_streets",
    Base.metadata,
    Column("staff_id", ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class StaffMember(Base):
    """A person who logs in to the staff panel."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised to end every session of the account at once (log-out everywhere, disabling).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]

    streets: Mapped[list[Area]] = relationship(secondary=staff_streets, lazy="selectin")


class StaffInvitation(Base):
    """A one-time link an administrator gives to a new staff member; only its hash is kept."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))
    street_ids: Mapped[list[int]] = mapped_column(default=list)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))


class PanelSession(Base):
    """A server-side session of the panel (when there is no Redis); the cookie holds its key."""

    __tablename__ = "panel_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """Who changed what in the panel, when, and the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class SavedFilter(Base):
    """An inbox filter a staff member keeps under a name."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)


class ResponseTemplate(Base):
    """A prepared text staff send to residents (a reply, the reason of a conclusion), per state
    of the ticket it suits (none: any) and per language; variants share a name."""

    __tablename__ = "response_templates"
    __table_args__ = (UniqueConstraint("name", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
