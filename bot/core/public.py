"""The public results page (五公开) of a station: its deputies as they agreed to be shown, its
coming receptions, and its results over the last year — counts, satisfaction, the median time
to answer, and the answered items staff marked publishable, each only as its category, its
community, its month and its outcome. What this module hands over holds no resident's data
and no text anyone typed about a ticket: the page cannot show what it is never given."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reports import STATES
from bot.core.workflow import CLOSED
from storage.models import (
    Area,
    Category,
    Deputy,
    DeputyGroup,
    Reception,
    ReceptionKind,
    ReceptionStatus,
    Station,
    Ticket,
    TicketStatus,
)
from storage.queries import reports as q

YEAR = timedelta(days=365)
COMING = 10
PUBLISHED = 50
S = TicketStatus


def outcome_of(status: TicketStatus) -> str:
    """What a resident reading the page needs of a state: still in hand, answered,
    resolved, or not resolvable now."""
    if status == S.UNRESOLVABLE:
        return "unresolvable"
    if status in CLOSED or status == S.RATED:
        return "resolved"
    if status == S.ANSWERED:
        return "answered"
    return "in_progress"


OUTCOMES = ("in_progress", "answered", "resolved", "unresolvable")
ANSWERED = (S.ANSWERED, *CLOSED, S.RATED)


@dataclass(frozen=True)
class PublicDeputy:
    name: str
    level: str | None
    profile: str | None  # what they agreed to publish


@dataclass(frozen=True)
class PublicReception:
    starts_at: datetime
    ends_at: datetime
    kind: ReceptionKind
    place: str | None  # None: online
    theme: str | None


@dataclass(frozen=True)
class PublishedItem:
    category: str
    community: str
    month: date
    outcome: str


@dataclass
class PublicStation:
    code: str
    name: str
    address: str | None
    deputies: list[PublicDeputy]
    receptions: list[PublicReception]
    since: datetime
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    satisfied: int = 0
    rated: int = 0
    median_answer_s: float | None = None
    published: list[PublishedItem] = field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(sum(row.values()) for row in self.by_category.values())

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


async def stations(session: AsyncSession) -> list[Station]:
    return list(
        await session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.id))
    )


async def station_results(
    session: AsyncSession, code: str, now: datetime, timezone: str
) -> PublicStation | None:
    station = await session.scalar(
        select(Station).where(Station.code == code, Station.active.is_(True))
    )
    if station is None:
        return None
    groups = select(DeputyGroup.id).where(DeputyGroup.station_id == station.id)
    deputies = await session.scalars(
        select(Deputy)
        .where(Deputy.active.is_(True), Deputy.groups.any(DeputyGroup.station_id == station.id))
        .order_by(Deputy.id)
    )
    receptions = await session.scalars(
        select(Reception)
        .where(
            Reception.station_id == station.id,
            Reception.status == ReceptionStatus.SCHEDULED,
            Reception.ends_at >= now,
        )
        .order_by(Reception.starts_at)
        .limit(COMING)
    )
    since = now - YEAR
    tickets = (
        Ticket.deputy_group_id.in_(groups),
        Ticket.created_at >= since,
        Ticket.status != S.MERGED,
    )
    results = PublicStation(
        station.code,
        station.name,
        station.address,
        [PublicDeputy(d.name, d.level, d.public_profile) for d in deputies],
        [PublicReception(r.starts_at, r.ends_at, r.kind, r.place, r.theme) for r in receptions],
        since,
    )
    rows = await session.execute(
        select(Category.name, Ticket.status, func.count())
        .outerjoin(Category, Category.id == Ticket.category_id)
        .where(*tickets)
        .group_by(Category.name, Ticket.status)
    )
    for category, status, count in rows:
        row = results.by_category.setdefault(category or "—", dict.fromkeys(OUTCOMES, 0))
        row[outcome_of(status)] += count
    totals = await q.ticket_totals(session, and_(*tickets), STATES)
    results.satisfied = totals.satisfied + totals.fairly_satisfied
    results.rated = results.satisfied + totals.unsatisfied
    results.median_answer_s = totals.median_answer_s
    published = await session.execute(
        select(Category.name, Area.name, Ticket.created_at, Ticket.status)
        .outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Area, Area.id == Ticket.area_id)
        .where(
            Ticket.deputy_group_id.in_(groups),
            Ticket.publishable.is_(True),
            Ticket.answered_at.is_not(None),
            Ticket.status.in_(ANSWERED),
        )
        .order_by(Ticket.created_at.desc())
        .limit(PUBLISHED)
    )
    results.published = [
        PublishedItem(
            category or "—",
            community or "—",
            created.astimezone(ZoneInfo(timezone)).date().replace(day=1),
            outcome_of(status),
        )
        for category, community, created, status in published
    ]
    return results
