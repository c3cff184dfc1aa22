"""The directory: areas, stations, deputy groups, deputies and categories."""

import enum
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column


class AreaKind(enum.StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


class Area(Base):
    """A node of the area tree: district (区/县) → street (街道/乡镇) → community (社区/村)."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[AreaKind] = mapped_column(enum_column(AreaKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A GeoJSON Polygon or MultiPolygon (longitude, latitude): a shared location inside it is
    # in this area.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    parent: Mapped["Area | None"] = relationship(remote_side=[id])


class Station(Base):
    """A liaison station (代表联络站)."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    address: Mapped[str | None] = mapped_column(String(300))
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


deputy_group_areas = Table(
    "deputy_group_areas",
    Base.metadata,
    Column("group_id", ForeignKey("deputy_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)

deputy_group_members = Table(
    "deputy_group_members",
    Base.metadata,
    Column("group_id", ForeignKey("deputy_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("deputy_id", ForeignKey("deputies.id", ondelete="CASCADE"), primary_key=True),
)


class DeputyGroup(Base):
    """A deputy group (代表小组) of a station; it works from one group chat (its contact)."""

    __tablename__ = "deputy_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    # Catches what no rule of its station's area sends elsewhere (兜底).
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    station: Mapped[Station] = relationship(lazy="joined")
    areas: Mapped[list[Area]] = relationship(secondary=deputy_group_areas)
    deputies: Mapped[list["Deputy"]] = relationship(
        secondary=deputy_group_members, back_populates="groups"
    )


class Deputy(Base):
    """A deputy (人大代表); part-time, known to the bot by their contact."""

    __tablename__ = "deputies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(50))
    # What the deputy agreed to publish about themselves (e.g. their work, the themes they
    # follow): shown as given on the public results page (五公开); nothing else of theirs is.
    public_profile: Mapped[str | None] = mapped_column(String(300))
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    groups: Mapped[list[DeputyGroup]] = relationship(
        secondary=deputy_group_members, back_populates="deputies"
    )


class Category(Base):
    """A topic of opinions (e.g. 住房与物业); used by routing rules."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """Tickets from this area (and below), of this category if one is named, go to this
    group. The most specific rule wins: the innermost area, and a category over none."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("area_id", "category_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class DeadlinePolicy(Base):
    """Deadlines in working days (限时办理); the row without a category is the default."""

    __tablename__ = "deadline_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), unique=True
    )
    acknowledge_days: Mapped[int] = mapped_column(Integer)
    answer_days: Mapped[int] = mapped_column(Integer)
    reopen_answer_days: Mapped[int] = mapped_column(Integer)
    extension_max_days: Mapped[int] = mapped_column(Integer)  # calendar days from submission


class CalendarDay(Base):
    """A day that departs from the official calendar (a station's own closure, or a year the
    calendar package does not know yet): a working day or not."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))
