"""The dashboards' and duty records' queries (`bot.core.reports` makes figures of them).

Speed over a million tickets comes from indexes, not from a materialised aggregate: the
figures of a period (medians, the overdue of today, ratings given since) change with every
step of every ticket, and an aggregate would need refreshing as often as it is read. The
period's rows are read from `ix_tickets_report_period` (the city) or `ix_tickets_report_area`
(a district's or street's areas), which include every column the figures need, so
PostgreSQL answers from the index alone; each query is one pass over those rows."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Actor,
    Rating,
    Reception,
    ReceptionDuty,
    ReceptionSignup,
    ReceptionStatus,
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
