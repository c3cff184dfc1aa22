"""Receptions in the directory file: a station's regular schedule ("every Tuesday 19:00–21:00,
night-time") and single receptions, on a day or (for demonstrations) a number of days after
the file is loaded. Loading schedules the coming four weeks through the reception desk, with
its checks; a reception already made from an entry (its key: the entry's code and the day) is
left as it is, so loading again adds only the days that came into view."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.receptions import ReceptionDesk, ReceptionPlan, ReceptionRefused, Refusal
from bot.text.catalogs import N_
from storage.models import Deputy, DeputyGroup, Reception, ReceptionKind, Station

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]
HORIZON_DAYS = 28  # how far ahead a regular schedule is laid out at each load


class ReceptionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: ReceptionKind
    station: str
    group: str | None = None  # default: the station's fallback group, else its first
    every: list[Weekday] = []  # a regular schedule
    day: date | None = None  # once, on that day
    in_days: int | None = Field(default=None, ge=1, le=HORIZON_DAYS)  # once, days after loading
    start: time
    end: time
    capacity: int = Field(ge=1, le=10000)
    deputies: list[str] = []
    place: str | None = None
    online: str | None = None  # how to join
    theme: str | None = None
    department: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 19:00 as the number 1140 (minutes in base 60).
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value // 60:02d}:{value % 60:02d}"
        return value


def reception_problems(
    entries: list[ReceptionEntry],
    stations: dict[str, str | None],
    groups: dict[str, str],
    deputies: set[str],
) -> Iterator[tuple[tuple[str | int, ...], str, dict[str, object]]]:
    """`stations`: code → nothing; `groups`: code → its station's code."""
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        loc = ("receptions", i)
        if entry.code in seen:
            yield (*loc, "code"), N_("'{value}' appears more than once"), {"value": entry.code}
        seen.add(entry.code)
        if sum([bool(entry.every), entry.day is not None, entry.in_days is not None]) != 1:
            yield loc, N_("give exactly one of 'every' (weekdays), 'day' or 'in_days'"), {}
        if entry.end <= entry.start:
            yield (*loc, "end"), N_("a reception ends after it begins"), {}
        if not entry.place and not entry.online:
            yield loc, N_("give a 'place', or 'online' with how to join"), {}
        if entry.station not in stations:
            yield (*loc, "station"), N_("no station has the code '{code}'"), {"code": entry.station}
        if entry.group is not None and groups.get(entry.group) != entry.station:
            problem = N_("station '{station}' has no deputy group '{group}'")
            yield (*loc, "group"), problem, {"station": entry.station, "group": entry.group}
        for j, code in enumerate(entry.deputies):
            if code not in deputies:
                yield (*loc, "deputies", j), N_("no deputy has the code '{code}'"), {"code": code}


def days_of(entry: ReceptionEntry, today: date) -> list[date]:
    """The days the entry asks for within the coming four weeks (from tomorrow)."""
    if entry.day is not None:
        return [entry.day]
    if entry.in_days is not None:
        return [today + timedelta(days=entry.in_days)]
    wanted = {WEEKDAYS.index(day) for day in entry.every}
    coming = (today + timedelta(days=n) for n in range(1, HORIZON_DAYS + 1))
    return [day for day in coming if day.weekday() in wanted]


@dataclass(frozen=True)
class Skipped:
    """A reception an entry asks for that was not made: its key, and the desk's refusal (None:
    the station has no deputy group)."""

    key: str
    refusal: Refusal | None = None
    detail: str = ""

    def __str__(self) -> str:  # "key: why", for the operator
        if self.refusal is None:
            return f"{self.key}: the station has no deputy group"
        return f"{self.key}: {self.refusal}" + (f": {self.detail}" if self.detail else "")


@dataclass
class ScheduleReport:
    scheduled: int = 0
    skipped: list[Skipped] = field(default_factory=list)


async def schedule_receptions(
    session: AsyncSession, desk: ReceptionDesk, entries: list[ReceptionEntry]
) -> ScheduleReport:
    """Make the receptions the entries ask for that do not exist yet; each passes the desk's
    checks or is skipped, and the report says why."""
    zone = ZoneInfo(desk.timezone)
    today = desk.clock.now().astimezone(zone).date()
    report = ScheduleReport()
    for entry in entries:
        found = await session.scalars(select(Station).where(Station.code == entry.station))
        station = found.one()
        group = (
            await session.scalar(select(DeputyGroup).where(DeputyGroup.code == entry.group))
            if entry.group
            else await desk.default_group(session, station)
        )
        if group is None:
            report.skipped.append(Skipped(entry.code))
            continue
        on_duty = [
            await session.scalar(select(Deputy).where(Deputy.code == code))
            for code in entry.deputies
        ]
        for day in days_of(entry, today):
            # A day counted from today moves with every load: the entry's code alone names it.
            key = entry.code if entry.in_days is not None else f"{entry.code}:{day.isoformat()}"
            if await session.scalar(select(Reception.id).where(Reception.schedule_key == key)):
                continue
            plan = ReceptionPlan(
                kind=entry.kind,
                station=station,
                group=group,
                starts_at=datetime.combine(day, entry.start, zone),
                ends_at=datetime.combine(day, entry.end, zone),
                capacity=entry.capacity,
                deputies=tuple(d for d in on_duty if d is not None),
                place=entry.place,
                how_to_join=entry.online,
                theme=entry.theme,
                department=entry.department,
            )
            try:
                # The checks come before anything is written: a refusal leaves nothing behind.
                await desk.create(session, plan, schedule_key=key, by="directory file")
            except ReceptionRefused as refused:
                report.skipped.append(Skipped(key, refused.refusal, refused.detail))
                continue
            report.scheduled += 1
    return report
