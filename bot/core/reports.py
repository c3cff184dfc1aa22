"""Reports (what the articles say stations are judged by): a dashboard per place and period,
and a duty record per deputy (履职档案, 一人一档), both computed from what the loop recorded,
never typed in. The queries are in `storage.queries.reports` (which says how the city's
figures are kept per day, and what other places read)."""

import asyncio
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.core.scope import Scope
from bot.core.workflow import CLOSED, OPEN
from storage.models import (
    Area,
    Category,
    Deputy,
    DeputyGroup,
    Rating,
    Reception,
    Station,
    Ticket,
)
from storage.queries import reports as q

STATES = q.States(open=OPEN, closed=CLOSED)
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
TOP = 10


@dataclass(frozen=True)
class Place:
    """What a report covers: the city (everything the staff member may see), an area (a
    district, street or community, with every area below it) or a station."""

    kind: str  # city, area, station
    id: int | None = None
    name: str = ""

    @property
    def param(self) -> str:
        return "" if self.kind == "city" else f"{self.kind}={self.id}"


@dataclass(frozen=True)
class Period:
    """Local calendar days, both included."""

    first: date
    last: date

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, datetime.min.time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), datetime.min.time(), zone)
        return start, end

    @classmethod
    def from_params(cls, params: Mapping[str, str], today: date) -> "Period":
        """The period asked for; what is missing or unreadable reads as the last 90 days, and
        a period is at most three years (a report of everything is a bench, not a page)."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, "")[:10])
            except ValueError:
                return None

        last = day("to") or today
        first = day("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            first, last = last, first
        return cls(max(first, last - timedelta(days=MAX_DAYS)), last)

    def params(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


@dataclass(frozen=True)
class Bucket:
    """A week (from its Monday) or a month of the trends."""

    start: date
    received: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class Share:
    name: str
    received: int
    resolved: int


@dataclass
class Dashboard:
    place: Place
    period: Period
    totals: q.TicketTotals
    receptions: q.ReceptionTotals
    weeks: list[Bucket] = field(default_factory=list)
    months: list[Bucket] = field(default_factory=list)
    categories: list[Share] = field(default_factory=list)
    areas: list[Share] = field(default_factory=list)
    medians_of_buckets: bool = False  # within 1%: read from the city's kept waits

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.totals.resolved, self.totals.received)

    @property
    def rated(self) -> int:
        t = self.totals
        return t.satisfied + t.fairly_satisfied + t.unsatisfied

    @property
    def satisfaction_rate(self) -> float | None:
        """满意 and 基本满意 among the rated (not rated ones apart)."""
        return _rate(self.totals.satisfied + self.totals.fairly_satisfied, self.rated)

    @property
    def attendance_rate(self) -> float | None:
        """代表进站率: deputies who came among those on duty whose attendance was recorded."""
        return _rate(self.receptions.duties_attended, self.receptions.duties_recorded)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class UnknownPlace(LookupError):
    """No such area or station, or not within the staff member's streets."""


async def place_of(session: AsyncSession, scope: Scope, params: Mapping[str, str]) -> Place:
    """The place a query string names (`area=ID` or `station=ID`, or the form's
    `place=area=ID`; none: the city)."""
    named = dict([params.get("place", "").partition("=")[::2]]) | dict(params)
    for kind, model in (("station", Station), ("area", Area)):
        value = named.get(kind, "")
        if not value:
            continue
        if not (value.isdigit() and len(value) < 10):
            raise UnknownPlace(value)
        row = await session.get(model, int(value))
        allowed = scope.everything or (
            row is not None
            and (row.id in scope.station_ids if kind == "station" else row.id in scope.area_ids)
        )
        if row is None or not allowed:
            raise UnknownPlace(value)
        return Place(kind, row.id, row.name)
    return Place("city")


async def areas_below(session: AsyncSession, area_id: int) -> set[int]:
    areas, frontier = {area_id}, {area_id}
    while frontier:
        children = set(await session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        frontier = children - areas
        areas |= frontier
    return areas


async def ticket_condition(
    session: AsyncSession, scope: Scope, place: Place
) -> ColumnElement[bool]:
    """The tickets of a place: raised in its areas, or held by its station's groups."""
    within = scope.tickets()
    if place.kind == "area":
        return and_(within, Ticket.area_id.in_(await areas_below(session, place.id)))
    if place.kind == "station":
        groups = select(DeputyGroup.id).where(DeputyGroup.station_id == place.id)
        return and_(within, Ticket.deputy_group_id.in_(groups))
    return within


async def reception_condition(
    session: AsyncSession, scope: Scope, place: Place
) -> ColumnElement[bool]:
    within = true() if scope.everything else Reception.station_id.in_(scope.station_ids)
    if place.kind == "area":
        stations = select(Station.id).where(
            Station.area_id.in_(await areas_below(session, place.id))
        )
        return and_(within, Reception.station_id.in_(stations))
    if place.kind == "station":
        return and_(within, Reception.station_id == place.id)
    return within


def _offset_hours(moment: datetime, timezone: str) -> float:
    offset = moment.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta()
    return offset.total_seconds() / 3600


async def dashboard(
    session: AsyncSession,
    scope: Scope,
    place: Place,
    period: Period,
    now: datetime,
    timezone: str,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> Dashboard:
    """The dashboard; with `sessions`, on PostgreSQL, its three queries of tickets run at
    once, each on its own connection (see `_at_once`), the receptions' after the lightest of
    them on its connection. The city of a staff member who sees everything is
    read from the figures kept per day (in the city's zone), other places from their
    tickets."""
    start, end = period.bounds(timezone)
    held = q.held_receptions(await reception_condition(session, scope, place), start, end, now)

    async def and_receptions(s: AsyncSession, query) -> tuple[Any, q.ReceptionTotals]:
        # After the lightest of the three, on its connection: no fourth one.
        return await query(s), await q.reception_totals(s, held)

    kept = scope.everything and place.kind == "city" and timezone == q.KEPT_ZONE
    if kept:
        first, last = period.first, period.last
        totals, (daily, receptions), areas = await _at_once(
            session,
            sessions,
            lambda s: q.kept_totals(s, first, last),
            lambda s: and_receptions(s, lambda s: q.kept_daily_by_category(s, first, last)),
            lambda s: q.kept_by_area(s, first, last, TOP),
        )
    else:
        tickets = and_(
            await ticket_condition(session, scope, place),
            Ticket.created_at >= start,
            Ticket.created_at < end,
        )
        offset = _offset_hours(start, timezone)
        totals, daily, (areas, receptions) = await _at_once(
            session,
            sessions,
            lambda s: q.ticket_totals(s, tickets, STATES),
            lambda s: q.daily_by_category(s, tickets, STATES, timezone, offset),
            lambda s: and_receptions(s, lambda s: q.by_area(s, tickets, STATES, TOP)),
        )
    report = Dashboard(place, period, totals, receptions)
    report.medians_of_buckets = kept
    report.weeks = _buckets(daily, lambda d: d - timedelta(days=d.weekday()))
    report.months = _buckets(daily, lambda d: d.replace(day=1))
    names = await _names(session, Category, {c for _, c, _, _ in daily if c is not None})
    by_category: Counter[int | None] = Counter()
    done_by_category: Counter[int | None] = Counter()
    for _, category, received, resolved in daily:
        by_category[category] += received
        done_by_category[category] += resolved
    report.categories = [
        Share(names.get(c, "—") if c is not None else "—", n, done_by_category[c])
        for c, n in sorted(by_category.items(), key=lambda item: (-item[1], item[0] or 0))[:TOP]
    ]
    area_names = await _names(session, Area, {a for a, _, _ in areas if a is not None})
    report.areas = [
        Share(area_names.get(a, "—") if a is not None else "—", n, done) for a, n, done in areas
    ]
    return report


async def _at_once(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession] | None,
    *queries: Callable[[AsyncSession], Awaitable[Any]],
) -> list[Any]:
    """The queries at once on PostgreSQL, the first in `session`, each other one in a session
    (a pooled connection) of its own: the city's three scans of every ticket of the period
    take about half the time side by side (bench: BENCHMARKS.md, the panel's reports), each a
    snapshot of its own a moment apart. One after the other in `session` otherwise (SQLite's
    test database is a single connection)."""
    if sessions is None or session.bind.dialect.name != "postgresql":
        return [await query(session) for query in queries]

    async def alone(query: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with sessions() as own:
            return await query(own)

    first, *others = queries
    results = await asyncio.gather(
        first(session), *(alone(query) for query in others), return_exceptions=True
    )
    # A failure is raised once every query has ended: `session` closed while its query still
    # ran would fail ("another operation is in progress") and hide the failure.
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _buckets(daily: list[tuple[str, int | None, int, int]], start_of) -> list[Bucket]:
    received: Counter[date] = Counter()
    resolved: Counter[date] = Counter()
    for day, _, n, done in daily:
        key = start_of(date.fromisoformat(day))
        received[key] += n
        resolved[key] += done
    return [Bucket(key, received[key], resolved[key]) for key in sorted(received)]


async def _names(session: AsyncSession, model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all()
    )


async def places(session: AsyncSession, scope: Scope) -> dict[str, list]:
    """The areas (districts and streets) and stations a staff member may pick."""
    areas = select(Area).where(Area.active.is_(True), Area.kind.in_(("district", "street")))
    stations = select(Station).where(Station.active.is_(True))
    if not scope.everything:
        areas = areas.where(Area.id.in_(scope.area_ids))
        stations = stations.where(Station.id.in_(scope.station_ids))
    return {
        "areas": list(await session.scalars(areas.order_by(Area.position, Area.id))),
        "stations": list(await session.scalars(stations.order_by(Station.id))),
    }


# Duty records (履职档案)


@dataclass(frozen=True)
class DutyReception:
    reception: Reception
    attended: bool | None


@dataclass
class DutyRecord:
    """A deputy's record over a period, read off the timeline and the receptions."""

    deputy: Deputy
    period: Period
    receptions: list[DutyReception]
    tickets_handled: int
    tickets_answered: int
    median_response_s: float | None
    ratings: dict[str, int]  # of the tickets they answered; "none": not rated

    @property
    def on_duty(self) -> int:
        return len(self.receptions)

    @property
    def attended(self) -> int:
        return sum(1 for duty in self.receptions if duty.attended)

    @property
    def attendance_rate(self) -> float | None:
        recorded = sum(1 for duty in self.receptions if duty.attended is not None)
        return _rate(self.attended, recorded)


def _deputies_within(scope: Scope):
    query = select(Deputy).options(selectinload(Deputy.groups)).order_by(Deputy.id)
    if not scope.everything:
        query = query.where(Deputy.groups.any(DeputyGroup.id.in_(scope.group_ids)))
    return query


async def deputies(session: AsyncSession, scope: Scope) -> list[Deputy]:
    """The deputies of the groups within the scope, with their groups."""
    return list(await session.scalars(_deputies_within(scope)))


async def deputy(session: AsyncSession, scope: Scope, deputy_id: int) -> Deputy | None:
    """A deputy of a group within the scope (None: none such)."""
    return await session.scalar(_deputies_within(scope).where(Deputy.id == deputy_id))


async def duty_record(
    session: AsyncSession, deputy: Deputy, period: Period, now: datetime, timezone: str
) -> DutyRecord:
    start, end = period.bounds(timezone)
    tickets = await q.deputy_tickets(session, deputy.id, start, end)
    duties = await q.deputy_duties(session, deputy.id, start, end, now)
    waits = [(first - reached).total_seconds() for _, reached, first, _, _ in tickets if reached]
    ratings = Counter(
        rating.value if rating else "none" for _, _, _, answered, rating in tickets if answered
    )
    return DutyRecord(
        deputy,
        period,
        [DutyReception(reception, attended) for reception, attended in duties],
        tickets_handled=len(tickets),
        tickets_answered=sum(1 for ticket in tickets if ticket[3]),
        median_response_s=statistics.median(waits) if waits else None,
        ratings={key: ratings.get(key, 0) for key in [*(r.value for r in Rating), "none"]},
    )
