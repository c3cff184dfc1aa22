"""What the panel exports (to CSV and Excel): a filtered ticket list, a dashboard, duty
records. Each export is one or more tables: headers (catalog messages, translated where
written) with the kind of each column, and rows of plain values. Ticket rows are streamed
from the database in batches, so an export of any length holds one batch in memory."""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import reports
from bot.core.inbox import InboxFilter, filtered, ordering
from bot.core.scope import Scope
from bot.text.catalogs import N_
from storage.models import Area, Category, Deputy, DeputyGroup, Ticket

BATCH = 1000
MAX_ROWS = 1_000_000  # an Excel sheet holds 1,048,576 rows


@dataclass(frozen=True)
class Column:
    header: str  # a catalog message
    kind: str = "text"  # text, number, moment (aware datetime), date, rate, hours, status, rating


@dataclass
class Table:
    title: str  # a catalog message: the sheet's name
    columns: list[Column]
    rows: AsyncIterator[tuple[Any, ...]] | Iterable[tuple[Any, ...]]


TICKET_COLUMNS = [
    Column(N_("Reference number")),
    Column(N_("Raised at"), "moment"),
    Column(N_("Status"), "status"),
    Column(N_("Category")),
    Column(N_("Area")),
    Column(N_("Deputy group")),
    Column(N_("Priority"), "priority"),
    Column(N_("Answer due"), "moment"),
    Column(N_("Overdue since"), "moment"),
    Column(N_("First response at"), "moment"),
    Column(N_("Answered at"), "moment"),
    Column(N_("Concluded at"), "moment"),
    Column(N_("Satisfaction"), "rating"),
    Column(N_("Content")),
]


async def ticket_rows(
    session: AsyncSession, scope: Scope, wanted: InboxFilter, now: datetime
) -> AsyncIterator[tuple[Any, ...]]:
    """The tickets the inbox's filter selects, in its order (every page of it)."""
    query = (
        select(
            Ticket.number,
            Ticket.created_at,
            Ticket.status,
            Category.name,
            Area.name,
            DeputyGroup.name,
            Ticket.priority,
            Ticket.answer_due,
            Ticket.overdue_since,
            Ticket.first_response_at,
            Ticket.answered_at,
            Ticket.closed_at,
            Ticket.last_rating,
            Ticket.text,
        )
        .outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Area, Area.id == Ticket.area_id)
        .outerjoin(DeputyGroup, DeputyGroup.id == Ticket.deputy_group_id)
        .where(filtered(session, scope, wanted, now))
        .order_by(*ordering(wanted))
        .limit(MAX_ROWS)
        .execution_options(yield_per=BATCH)
    )
    result = await session.stream(query)
    async for row in result:
        yield tuple(row)


def tickets_export(
    session: AsyncSession, scope: Scope, wanted: InboxFilter, now: datetime
) -> list[Table]:
    return [
        Table(
            N_("Opinions and suggestions"), TICKET_COLUMNS, ticket_rows(session, scope, wanted, now)
        )
    ]


def dashboard_export(report: reports.Dashboard) -> list[Table]:
    t, r = report.totals, report.receptions
    figures = [
        (N_("Received"), t.received, "number"),
        (N_("Resolved"), t.resolved, "number"),
        (N_("Fed back"), t.fed_back, "number"),
        (N_("Overdue"), t.overdue, "number"),
        (N_("Resolution rate"), report.resolution_rate, "rate"),
        (N_("Median time to first response (hours)"), _hours(t.median_response_s), "hours"),
        (N_("Median time to answer (hours)"), _hours(t.median_answer_s), "hours"),
        (N_("Reopened"), t.reopened, "number"),
        (N_("Satisfied"), t.satisfied, "number"),
        (N_("Fairly satisfied"), t.fairly_satisfied, "number"),
        (N_("Unsatisfied"), t.unsatisfied, "number"),
        (N_("Not rated"), t.not_rated, "number"),
        (N_("Satisfaction"), report.satisfaction_rate, "rate"),
        (N_("Receptions held"), r.held, "number"),
        (N_("Residents received"), r.residents_received, "number"),
        (N_("Deputies' attendance"), report.attendance_rate, "rate"),
    ]
    trend = [
        Column(N_("Period"), "date"),
        Column(N_("Received"), "number"),
        Column(N_("Resolved"), "number"),
    ]
    shares = [
        Column(N_("Item")),
        Column(N_("Received"), "number"),
        Column(N_("Resolved"), "number"),
    ]
    return [
        Table(
            N_("Figures"),
            [Column(N_("Figure"), "message"), Column(N_("Value"), "figure")],
            [(name, (value, kind)) for name, value, kind in figures],
        ),
        Table(N_("By week"), trend, [(b.start, b.received, b.resolved) for b in report.weeks]),
        Table(N_("By month"), trend, [(b.start, b.received, b.resolved) for b in report.months]),
        Table(
            N_("Top categories"),
            shares,
            [(s.name, s.received, s.resolved) for s in report.categories],
        ),
        Table(N_("Top areas"), shares, [(s.name, s.received, s.resolved) for s in report.areas]),
    ]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


DUTY_COLUMNS = [
    Column(N_("Deputy")),
    Column(N_("Level")),
    Column(N_("Deputy group")),
    Column(N_("Receptions on duty"), "number"),
    Column(N_("Receptions attended"), "number"),
    Column(N_("Deputies' attendance"), "rate"),
    Column(N_("Tickets handled"), "number"),
    Column(N_("Tickets answered"), "number"),
    Column(N_("Median time to first response (hours)"), "hours"),
    Column(N_("Satisfied"), "number"),
    Column(N_("Fairly satisfied"), "number"),
    Column(N_("Unsatisfied"), "number"),
    Column(N_("Not rated"), "number"),
]


def duty_row(record: reports.DutyRecord) -> tuple[Any, ...]:
    deputy: Deputy = record.deputy
    return (
        deputy.name,
        deputy.level or "",
        "、".join(group.name for group in deputy.groups),
        record.on_duty,
        record.attended,
        record.attendance_rate,
        record.tickets_handled,
        record.tickets_answered,
        _hours(record.median_response_s),
        *(record.ratings[key] for key in ("satisfied", "fairly_satisfied", "unsatisfied", "none")),
    )


async def duty_records_export(
    session: AsyncSession,
    scope: Scope,
    period: reports.Period,
    now: datetime,
    timezone: str,
) -> list[Table]:
    async def rows() -> AsyncIterator[tuple[Any, ...]]:
        for deputy in await reports.deputies(session, scope):
            yield duty_row(await reports.duty_record(session, deputy, period, now, timezone))

    return [Table(N_("Duty records of deputies"), DUTY_COLUMNS, rows())]


def duty_record_export(record: reports.DutyRecord) -> list[Table]:
    receptions = [
        Column(N_("Time"), "moment"),
        Column(N_("Liaison station")),
        Column(N_("Attended"), "attended"),
    ]
    return [
        Table(N_("Duty record"), DUTY_COLUMNS, [duty_row(record)]),
        Table(
            N_("Receptions"),
            receptions,
            [
                (d.reception.starts_at, d.reception.station.name, d.attended)
                for d in record.receptions
            ],
        ),
    ]
