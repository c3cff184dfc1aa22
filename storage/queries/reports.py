"""The dashboards' and duty records' queries (`bot.core.reports` makes figures of them).

The city's dashboard, the one that reads every ticket of its period, is read from figures
kept per local day (`report_days`, `report_area_days`, `report_waits`: migration
0016_report_days). Triggers on `tickets` keep them in the transaction that changes a ticket,
so they are exact and live: a ticket's every change (a step, a rating, a move to another
area or category, a merge, a purge) takes its old figures off its day and adds its new ones.
A period's counts are sums of its days; the medians come from the waits' buckets (each 2%
longer than the last), so they are within 1% of the exact ones. A year of the bench's city
is 3,650 rows of counts, 108,000 of areas and 70,000 of buckets, instead of 480,000 tickets
read three times and sorted twice.

Other places (a district, a street, a station, a street staff member's streets) read their
tickets: `ix_tickets_report_area` (a district's or street's areas) and
`ix_tickets_report_period` include every column the figures need, so PostgreSQL answers from
the index alone, one pass per query, with exact medians."""

import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Actor,
    Rating,
    Reception,
    ReceptionDuty,
    ReceptionSignup,
    ReceptionStatus,
    ReportAreaDay,
    ReportDay,
    ReportWait,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)

S = TicketStatus
# Room for the medians' two sorts in memory (this transaction only): a year of the city is
# about 480,000 durations a sort (~12 MB), which the default 4 MB spilled to disk.
MEDIAN_WORK_MEM = "32MB"


@dataclass(frozen=True)
class States:
    """The workflow's kinds of states (`bot.core.workflow` knows them; storage knows none)."""

    open: frozenset[TicketStatus]  # still in the loop: an overdue one counts
    closed: frozenset[TicketStatus]  # concluded, waiting for the resident's rating

    @property
    def resolved(self) -> frozenset[TicketStatus]:
        """办结: concluded (resolved, or not resolvable now with the reason), rated or not;
        what the articles count as resolved."""
        return self.closed | {S.RATED}


def _postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def seconds_between(session: AsyncSession, start, end) -> ColumnElement[float]:
    """Seconds as a float on both databases: PostgreSQL's `extract` gives `numeric`, whose
    arithmetic and sort made a year's medians three times slower than `date_part`'s float8
    (exact to the microsecond for any duration a ticket can have)."""
    if _postgres(session):
        return func.date_part("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def local_day(session: AsyncSession, column, timezone: str, offset_hours: float):
    """The local calendar day of a moment: by the zone's rules on PostgreSQL; on SQLite,
    which knows no zones, by the zone's offset at the period's start (the caller's)."""
    if _postgres(session):
        return func.date(func.timezone(timezone, column))
    return func.date(column, f"{offset_hours:+.2f} hours")


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


@dataclass(frozen=True)
class TicketTotals:
    received: int
    resolved: int
    fed_back: int
    overdue: int
    reopened: int
    satisfied: int
    fairly_satisfied: int
    unsatisfied: int
    not_rated: int
    median_response_s: float | None
    median_answer_s: float | None


async def _median(session: AsyncSession, where: ColumnElement[bool], start, end) -> float | None:
    """The median (the mean of the two middle ones for an even count) of `end - start`, on
    SQLite, which has no percentile (PostgreSQL takes it in `ticket_totals`' one pass)."""
    seconds = seconds_between(session, start, end)
    present = and_(where, end.is_not(None))
    count = await session.scalar(select(func.count()).where(present)) or 0
    if not count:
        return None
    middle = await session.scalars(
        select(cast(seconds, Float))
        .where(present)
        .order_by(seconds)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    )
    values = list(middle)
    return sum(values) / len(values)


async def ticket_totals(
    session: AsyncSession, where: ColumnElement[bool], states: States
) -> TicketTotals:
    counted = and_(where, Ticket.status != S.MERGED)
    created = Ticket.created_at
    postgres = _postgres(session)
    # A percentile leaves out the tickets without the moment (NULL seconds).
    medians = [
        func.percentile_cont(0.5).within_group(seconds_between(session, created, end))
        for end in (Ticket.first_response_at, Ticket.answered_at)
    ]
    if postgres:
        await session.execute(text(f"SET LOCAL work_mem = '{MEDIAN_WORK_MEM}'"))
    row = (
        await session.execute(
            select(
                func.count(),
                _count(Ticket.status.in_(states.resolved)),
                _count(Ticket.answered_at.is_not(None)),
                _count(and_(Ticket.overdue_since.is_not(None), Ticket.status.in_(states.open))),
                _count(Ticket.reopen_count > 0),
                _count(Ticket.last_rating == Rating.SATISFIED),
                _count(Ticket.last_rating == Rating.FAIRLY_SATISFIED),
                _count(Ticket.last_rating == Rating.UNSATISFIED),
                _count(and_(Ticket.status.in_(states.closed), Ticket.last_rating.is_(None))),
                *(medians if postgres else ()),
            ).where(counted)
        )
    ).one()
    if postgres:
        response, answer = (None if m is None else float(m) for m in row[9:])
    else:
        response = await _median(session, counted, created, Ticket.first_response_at)
        answer = await _median(session, counted, created, Ticket.answered_at)
    return TicketTotals(*(int(value) for value in row[:9]), response, answer)


async def daily_by_category(
    session: AsyncSession,
    where: ColumnElement[bool],
    states: States,
    timezone: str,
    offset_hours: float,
) -> list[tuple[str, int | None, int, int]]:
    """(local day, category id, received, resolved) of the period's tickets: the trends and
    the top categories come from this one pass."""
    day = local_day(session, Ticket.created_at, timezone, offset_hours).label("day")
    rows = await session.execute(
        select(day, Ticket.category_id, func.count(), _count(Ticket.status.in_(states.resolved)))
        .where(where, Ticket.status != S.MERGED)
        .group_by(day, Ticket.category_id)
    )
    return [(str(d), category, int(n), int(done)) for d, category, n, done in rows]


async def by_area(
    session: AsyncSession, where: ColumnElement[bool], states: States, limit: int
) -> list[tuple[int | None, int, int]]:
    """(area id, received, resolved), the most received first."""
    received = func.count()
    rows = await session.execute(
        select(Ticket.area_id, received, _count(Ticket.status.in_(states.resolved)))
        .where(where, Ticket.status != S.MERGED)
        .group_by(Ticket.area_id)
        .order_by(received.desc(), Ticket.area_id)
        .limit(limit)
    )
    return [(area, int(n), int(done)) for area, n, done in rows]


# The figures kept per day (migration 0016_report_days) are of the city's local days.
KEPT_ZONE = "Asia/Shanghai"
WAIT_BUCKET_RATIO = 1.02


def wait_bucket(seconds: float) -> int:
    """A wait's bucket, as the triggers file it: 0 under a minute, then each 2% longer."""
    if seconds < 60:
        return 0
    return 1 + math.floor(math.log(seconds / 60) / math.log(WAIT_BUCKET_RATIO))


def bucket_middle(bucket: int) -> float:
    """The bucket's geometric middle, in seconds: within 1% of every wait filed in it."""
    if bucket == 0:
        return 30.0
    return 60 * WAIT_BUCKET_RATIO ** (bucket - 0.5)


def median_of_buckets(buckets: dict[int, int]) -> float | None:
    """The median of the waits counted in `buckets` (the mean of the two middle ones for an
    even count), each wait read as its bucket's middle."""
    count = sum(buckets.values())
    if not count:
        return None
    middle = ((count - 1) // 2, count // 2)
    values, below = [], 0
    for bucket in sorted(buckets):
        values += [
            bucket_middle(bucket) for rank in middle if below <= rank < below + buckets[bucket]
        ]
        below += buckets[bucket]
    return sum(values) / len(values)


KEPT_COUNTS = (
    ReportDay.received,
    ReportDay.resolved,
    ReportDay.fed_back,
    ReportDay.overdue,
    ReportDay.reopened,
    ReportDay.satisfied,
    ReportDay.fairly_satisfied,
    ReportDay.unsatisfied,
    ReportDay.not_rated,
)


async def kept_totals(session: AsyncSession, first: date, last: date) -> TicketTotals:
    """`ticket_totals` of the city's tickets raised from `first` to `last` (local days)."""
    row = (
        await session.execute(
            select(*(func.coalesce(func.sum(count), 0) for count in KEPT_COUNTS)).where(
                ReportDay.day.between(first, last)
            )
        )
    ).one()
    waits = await session.execute(
        select(ReportWait.kind, ReportWait.bucket, func.sum(ReportWait.tickets))
        .where(ReportWait.day.between(first, last))
        .group_by(ReportWait.kind, ReportWait.bucket)
    )
    buckets: dict[str, dict[int, int]] = {"response": {}, "answer": {}}
    for kind, bucket, tickets in waits:
        buckets[kind][bucket] = int(tickets)
    return TicketTotals(
        *(int(value) for value in row),
        median_of_buckets(buckets["response"]),
        median_of_buckets(buckets["answer"]),
    )


async def kept_daily_by_category(
    session: AsyncSession, first: date, last: date
) -> list[tuple[str, int | None, int, int]]:
    """`daily_by_category` of the city (category 0 is none)."""
    rows = await session.execute(
        select(ReportDay.day, ReportDay.category_id, ReportDay.received, ReportDay.resolved).where(
            ReportDay.day.between(first, last), ReportDay.received > 0
        )
    )
    return [(d.isoformat(), category or None, n, done) for d, category, n, done in rows]


async def kept_by_area(
    session: AsyncSession, first: date, last: date, limit: int
) -> list[tuple[int | None, int, int]]:
    """`by_area` of the city (area 0 is none, last among equals as PostgreSQL's NULL)."""
    received = func.sum(ReportAreaDay.received)
    rows = await session.execute(
        select(ReportAreaDay.area_id, received, func.sum(ReportAreaDay.resolved))
        .where(ReportAreaDay.day.between(first, last))
        .group_by(ReportAreaDay.area_id)
        .having(received > 0)
        .order_by(received.desc(), ReportAreaDay.area_id == 0, ReportAreaDay.area_id)
        .limit(limit)
    )
    return [(area or None, int(n), int(done)) for area, n, done in rows]


@dataclass(frozen=True)
class ReceptionTotals:
    held: int
    residents_received: int
    duties_recorded: int
    duties_attended: int


def held_receptions(
    where: ColumnElement[bool], start: datetime, end: datetime, now: datetime
) -> ColumnElement[bool]:
    return and_(
        where,
        Reception.status == ReceptionStatus.SCHEDULED,
        Reception.starts_at >= start,
        Reception.starts_at < end,
        Reception.ends_at <= now,
    )


async def reception_totals(session: AsyncSession, held: ColumnElement[bool]) -> ReceptionTotals:
    receptions = select(Reception.id).where(held)
    count = await session.scalar(select(func.count()).select_from(receptions.subquery())) or 0
    residents = await session.scalar(
        select(func.count()).where(
            ReceptionSignup.reception_id.in_(receptions),
            ReceptionSignup.checked_in_at.is_not(None),
        )
    )
    recorded, attended = (
        await session.execute(
            select(
                _count(ReceptionDuty.attended.is_not(None)),
                _count(ReceptionDuty.attended.is_(True)),
            ).where(ReceptionDuty.reception_id.in_(receptions))
        )
    ).one()
    return ReceptionTotals(int(count), int(residents or 0), int(recorded), int(attended))


# A deputy's duty record (履职档案) is read off the timeline: the steps they took.
def deputy_steps(deputy_id: int, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        TicketEvent.actor == Actor.DEPUTY,
        TicketEvent.actor_id == deputy_id,
        TicketEvent.at >= start,
        TicketEvent.at < end,
    )


async def deputy_tickets(
    session: AsyncSession, deputy_id: int, start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime, bool, Rating | None]]:
    """Each ticket the deputy took a step on in the period: (ticket id, when it reached the
    group, when the deputy first acted on it, whether they answered it, its rating)."""
    steps = deputy_steps(deputy_id, start, end)
    first = (
        select(
            TicketEvent.ticket_id.label("ticket_id"),
            func.min(TicketEvent.at).label("first_at"),
            func.max(case((TicketEvent.action == TimelineAction.REPLIED, 1), else_=0)).label(
                "replied"
            ),
        )
        .where(steps)
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    reached = (
        select(func.max(TicketEvent.at))
        .where(
            TicketEvent.ticket_id == first.c.ticket_id,
            TicketEvent.action.in_((TimelineAction.ROUTED, TimelineAction.SUBMITTED)),
            TicketEvent.at <= first.c.first_at,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(first.c.ticket_id, reached, first.c.first_at, first.c.replied, Ticket.last_rating)
        .join(Ticket, Ticket.id == first.c.ticket_id)
        .order_by(first.c.first_at)
    )
    return [(t, r, f, bool(replied), rating) for t, r, f, replied, rating in rows]


async def deputy_duties(
    session: AsyncSession, deputy_id: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[Reception, bool | None]]:
    """The held receptions the deputy was on duty at in the period, and whether they came."""
    rows = await session.execute(
        select(Reception, ReceptionDuty.attended)
        .join(ReceptionDuty, ReceptionDuty.reception_id == Reception.id)
        .where(
            ReceptionDuty.deputy_id == deputy_id,
            held_receptions(Reception.id.is_not(None), start, end, now),
        )
        .order_by(Reception.starts_at)
    )
    return [(reception, attended) for reception, attended in rows]
