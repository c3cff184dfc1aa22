"""The staff inbox (收件箱): tickets within a staff member's scope, filtered, searched, sorted
and counted. A filter comes from the query string, read leniently: a value that means nothing
(a wrong number, an unknown state, SQL) selects nothing special and is never interpolated."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.scope import Scope
from bot.core.workflow import CLOSED, OPEN, WITH_GROUP
from storage.models import DeputyGroup, Priority, Ticket, TicketStatus
from storage.queries.search import text_matches

PAGE_SIZE = 25
DUE_SOON = timedelta(days=3)
FLAGS = ("unrouted", "overdue", "due_soon", "reopened", "escalated", "unrated")
SORTS = ("oldest", "newest", "due", "priority")
MAX_SEARCH = 100
# Counting stops here: "1000+" tells staff as much as an exact figure would, and a count that
# stops early costs little over a million tickets (each stops in its index).
COUNT_CAP = 1000
TOTAL_CAP = 10_000


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@dataclass(frozen=True)
class InboxFilter:
    status: TicketStatus | None = None
    category: int | None = None
    station: int | None = None
    group: int | None = None
    flag: str | None = None
    search: str = ""
    sort: str = "oldest"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "InboxFilter":
        status = params.get("status", "")
        flag = params.get("flag", "")
        sort = params.get("sort", "")
        return cls(
            status=TicketStatus(status) if status in set(TicketStatus) else None,
            category=_int(params.get("category")),
            station=_int(params.get("station")),
            group=_int(params.get("group")),
            flag=flag if flag in FLAGS else None,
            search=params.get("q", "").strip()[:MAX_SEARCH],
            sort=sort if sort in SORTS else "oldest",
            page=max(1, _int(params.get("page")) or 1),
        )

    def params(self, **changes: object) -> str:
        """The query string of this filter, with some values changed."""
        wanted = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "status": wanted.status.value if wanted.status else None,
            "category": wanted.category,
            "station": wanted.station,
            "group": wanted.group,
            "flag": wanted.flag,
            "q": wanted.search or None,
            "sort": wanted.sort if wanted.sort != "oldest" else None,
            "page": wanted.page if wanted.page > 1 else None,
        }
        return urlencode({key: value for key, value in pairs.items() if value is not None})


def flag_condition(flag: str, now: datetime) -> ColumnElement[bool]:
    return {
        "unrouted": Ticket.status == TicketStatus.AWAITING_TRIAGE,
        "overdue": and_(Ticket.overdue_since.is_not(None), Ticket.status.in_(OPEN)),
        "due_soon": and_(
            Ticket.status.in_(WITH_GROUP),
            Ticket.overdue_since.is_(None),
            Ticket.answer_due.between(now, now + DUE_SOON),
        ),
        "reopened": Ticket.status == TicketStatus.REOPENED,
        "escalated": Ticket.status == TicketStatus.ESCALATED,
        "unrated": and_(Ticket.status.in_(CLOSED), Ticket.rating.is_(None)),
    }[flag]


@dataclass
class InboxPage:
    tickets: list[Ticket]
    total: int  # at most TOTAL_CAP
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # each at most COUNT_CAP

    @property
    def more(self) -> bool:
        return self.total >= TOTAL_CAP


def capped_count(where: ColumnElement[bool], cap: int) -> ScalarSelect[int]:
    matching = select(Ticket.id).where(where).limit(cap).subquery()
    return select(func.count()).select_from(matching).scalar_subquery()


def _priority_order() -> ColumnElement[int]:
    from sqlalchemy import case

    return case({Priority.URGENT: 0, Priority.HIGH: 1}, value=Ticket.priority, else_=2)


def filtered(
    session: AsyncSession, scope: Scope, wanted: InboxFilter, now: datetime
) -> ColumnElement[bool]:
    """The tickets of the scope that the filter selects (the inbox's, and its export's)."""
    conditions: list[ColumnElement[bool]] = [scope.tickets()]
    if wanted.status:
        conditions.append(Ticket.status == wanted.status)
    if wanted.category:
        conditions.append(Ticket.category_id == wanted.category)
    if wanted.group:
        conditions.append(Ticket.deputy_group_id == wanted.group)
    if wanted.station:
        groups = select(DeputyGroup.id).where(DeputyGroup.station_id == wanted.station)
        conditions.append(Ticket.deputy_group_id.in_(groups))
    if wanted.flag:
        conditions.append(flag_condition(wanted.flag, now))
    if wanted.search:
        conditions.append(text_matches(session, wanted.search))
    return and_(*conditions)


def ordering(wanted: InboxFilter) -> list[ColumnElement]:
    return {
        "oldest": [Ticket.created_at, Ticket.id],
        "newest": [Ticket.created_at.desc(), Ticket.id.desc()],
        # Without a deadline last, on both databases; so written, it is `ix_tickets_group_due`'s
        # order on PostgreSQL (an `answer_due IS NULL` key first would sort every match).
        "due": [Ticket.answer_due.asc().nulls_last(), Ticket.id],
        "priority": [_priority_order(), Ticket.created_at, Ticket.id],
    }[wanted.sort]


async def inbox(
    session: AsyncSession, scope: Scope, wanted: InboxFilter, now: datetime
) -> InboxPage:
    where = filtered(session, scope, wanted, now)
    order = ordering(wanted)
    total = await session.scalar(select(capped_count(where, TOTAL_CAP))) or 0
    tickets = list(
        await session.scalars(
            select(Ticket)
            .where(where)
            .order_by(*order)
            .offset((wanted.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .options(selectinload(Ticket.deputy_group), selectinload(Ticket.area))
        )
    )
    return InboxPage(
        tickets, total, max(1, -(-total // PAGE_SIZE)), await counts(session, scope, now)
    )


async def counts(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, int]:
    """How many tickets of the scope each flag selects (up to COUNT_CAP), in one query."""
    columns = [
        capped_count(and_(scope.tickets(), flag_condition(flag, now)), COUNT_CAP).label(flag)
        for flag in FLAGS
    ]
    row = (await session.execute(select(*columns))).one()
    return {flag: int(row._mapping[flag] or 0) for flag in FLAGS}
