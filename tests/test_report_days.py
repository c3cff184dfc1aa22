"""The city's dashboard is read from figures kept per day by triggers on the tickets; after
any mix of changes those figures are the ones the tickets themselves give, on both
databases, and the city's dashboard shows what a count of its tickets shows."""

import importlib.util
from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text, update

from bot.core import reports
from bot.core.retention import purge
from bot.core.scope import Scope
from bot.core.timeline import Who
from bot.core.workflow import CLOSED, OPEN
from storage.migrate import MIGRATIONS
from storage.models import (
    Actor,
    Area,
    Category,
    DeputyGroup,
    ReportAreaDay,
    ReportDay,
    ReportWait,
    Resident,
    Ticket,
    TicketStatus,
)
from storage.queries import reports as q
from tests.support.panel import make_ticket
from tests.support.reports import a_week_of_the_loop, deputy

S = TicketStatus
STAFF = Who(Actor.STAFF, None)
DAY_COUNTS = [column.key for column in q.KEPT_COUNTS]


def migration():
    path = MIGRATIONS / "versions" / "0016_report_days.py"
    spec = importlib.util.spec_from_file_location("report_days_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_triggers_count_by_the_workflows_states_and_the_readers_buckets():
    frozen = migration()
    assert set(frozen.OPEN) == set(OPEN) and set(frozen.CLOSED) == set(CLOSED)
    assert (frozen.ZONE, frozen.BUCKET_RATIO) == (q.KEPT_ZONE, q.WAIT_BUCKET_RATIO)
    assert tuple(DAY_COUNTS) == frozen.DAY_COUNTS


def test_a_median_of_buckets_is_within_one_percent():
    for seconds in (59, 60, 61, 7_200, 14_400, 86_400 * 17 + 3_600):
        middle = q.bucket_middle(q.wait_bucket(seconds))
        assert abs(middle - seconds) <= 0.01 * max(seconds, 60) or seconds < 60
    assert q.median_of_buckets({}) is None
    two, four, six = (q.wait_bucket(h * 3600) for h in (2, 4, 6))
    assert abs(q.median_of_buckets({two: 1, four: 1, six: 1}) - 4 * 3600) < 0.01 * 4 * 3600
    assert (
        q.median_of_buckets({two: 1, six: 1}) == (q.bucket_middle(two) + q.bucket_middle(six)) / 2
    )


async def from_the_tickets(session) -> tuple[dict, dict, dict]:
    """The three tables computed afresh from the tickets, in Python."""
    zone, resolved = ZoneInfo(q.KEPT_ZONE), CLOSED | {S.RATED}
    days: dict[tuple[date, int], Counter] = {}
    areas: dict[tuple[date, int], Counter] = {}
    waits: Counter = Counter()
    for t in await session.scalars(select(Ticket)):
        if t.status == S.MERGED:
            continue
        day = t.created_at.astimezone(zone).date()
        figures = {
            "received": 1,
            "resolved": t.status in resolved,
            "fed_back": t.answered_at is not None,
            "overdue": t.overdue_since is not None and t.status in OPEN,
            "reopened": t.reopen_count > 0,
            "satisfied": t.last_rating == "satisfied",
            "fairly_satisfied": t.last_rating == "fairly_satisfied",
            "unsatisfied": t.last_rating == "unsatisfied",
            "not_rated": t.status in CLOSED and t.last_rating is None,
        }
        days.setdefault((day, t.category_id or 0), Counter()).update(
            {name: int(value) for name, value in figures.items()}
        )
        areas.setdefault((day, t.area_id or 0), Counter()).update(
            {"received": 1, "resolved": int(figures["resolved"])}
        )
        for kind, end in (("response", t.first_response_at), ("answer", t.answered_at)):
            if end is not None:
                waits[day, kind, q.wait_bucket((end - t.created_at).total_seconds())] += 1
    return (
        {key: {n: c[n] for n in DAY_COUNTS} for key, c in days.items()},
        {key: {"received": c["received"], "resolved": c["resolved"]} for key, c in areas.items()},
        dict(waits),
    )


async def kept(session) -> tuple[dict, dict, dict]:
    """The three tables as the triggers left them (rows counting nothing left out)."""
    days = {
        (row.day, row.category_id): {n: getattr(row, n) for n in DAY_COUNTS}
        for row in await session.scalars(select(ReportDay))
        if any(getattr(row, n) for n in DAY_COUNTS)
    }
    areas = {
        (row.day, row.area_id): {"received": row.received, "resolved": row.resolved}
        for row in await session.scalars(select(ReportAreaDay))
        if row.received or row.resolved
    }
    waits = {
        (row.day, row.kind, row.bucket): row.tickets
        for row in await session.scalars(select(ReportWait))
        if row.tickets
    }
    return days, areas, waits


async def ticket(session, number: str) -> Ticket:
    return await session.scalar(select(Ticket).where(Ticket.number == number))


async def a_mix_of_changes(sessions, desk, clock, numbers: dict[str, str]) -> None:
    """New tickets; one answered again after its reopening; one reopened and moved to
    another station's group, area and category; one merged into another; one deleted;
    the concluded ones purged of their words; a day later one overdue."""
    numbers["E"] = await make_ticket(sessions, desk, "jb-wx-dm", "东门社区路口红绿灯太短")
    numbers["F"] = await make_ticket(sessions, desk, "jb-wx-lh", "柳湖社区红绿灯时间太短")
    clock.advance(timedelta(hours=5))
    async with sessions.begin() as session:
        wang = await deputy(session, "d-wang-jianguo")
        reopened = await ticket(session, numbers["D"])
        assert reopened.status == S.REOPENED
        await desk.reply_from_deputy(session, reopened, wang, "已再次协调处理。")
        await desk.merge(
            session, await ticket(session, numbers["F"]), await ticket(session, numbers["E"]), STAFF
        )
    clock.advance(timedelta(hours=30))
    async with sessions.begin() as session:
        moved = await ticket(session, numbers["A"])
        await desk.reopen(session, moved, STAFF)
        other = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-wx"))
        await desk.reroute(session, moved, STAFF, to=other, reason="属望仙街道")
        moved.area_id = await session.scalar(select(Area.id).where(Area.code == "jb-wx-lh"))
        moved.category_id = await session.scalar(
            select(Category.id).where(Category.id != moved.category_id).limit(1)
        )
        resident = await session.scalar(select(Resident.id).limit(1))
        gone = Ticket(
            number="A-TEST-GONE",
            resident_id=resident,
            text="删除",
            status=S.ASSIGNED,
            created_at=clock.now(),
            updated_at=clock.now(),
            first_response_at=clock.now() + timedelta(minutes=5),
        )
        session.add(gone)
    async with sessions.begin() as session:
        await session.execute(delete(Ticket).where(Ticket.number == "A-TEST-GONE"))
        await session.execute(
            update(Ticket).where(Ticket.number == numbers["E"]).values(overdue_since=clock.now())
        )
    await purge(sessions, clock.now() + timedelta(days=1))


async def test_the_kept_figures_are_the_tickets_after_a_mix_of_changes(panel_sessions, desk, clock):
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    async with panel_sessions() as session:
        assert await kept(session) == await from_the_tickets(session)
    await a_mix_of_changes(panel_sessions, desk, clock, numbers)
    async with panel_sessions() as session:
        days, areas, waits = await kept(session)
        assert (days, areas, waits) == await from_the_tickets(session)
        assert sum(figures["received"] for figures in days.values()) == 5  # F merged, one gone
        assert len({area for _, area in areas}) == 4  # 和祥, 东门, 沿山 and now 柳湖


async def test_the_migration_fills_what_the_triggers_keep(panel_sessions, desk, clock):
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    await a_mix_of_changes(panel_sessions, desk, clock, numbers)
    async with panel_sessions.begin() as session:
        kept_by_triggers = await kept(session)
        for table in (ReportDay, ReportAreaDay, ReportWait):
            await session.execute(delete(table))
        postgres = session.bind.dialect.name == "postgresql"
        for statement in migration().filling(postgres):
            await session.execute(text(statement))
        assert await kept(session) == kept_by_triggers


async def test_the_citys_dashboard_shows_what_its_tickets_show(
    panel_sessions, desk, clock, monkeypatch
):
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    await a_mix_of_changes(panel_sessions, desk, clock, numbers)
    now = clock.now()
    city, zone = reports.Place("city"), q.KEPT_ZONE
    period = reports.Period.from_params({}, now.astimezone(ZoneInfo(zone)).date())
    async with panel_sessions() as session:
        read = await reports.dashboard(session, Scope(everything=True), city, period, now, zone)
        street = Scope(False, frozenset(await session.scalars(select(Area.id))))
        by_a_street = await reports.dashboard(session, street, city, period, now, zone)
        monkeypatch.setattr(q, "KEPT_ZONE", "UTC")  # the city's tickets read one by one
        counted = await reports.dashboard(session, Scope(everything=True), city, period, now, zone)
    assert read.medians_of_buckets and not counted.medians_of_buckets
    assert not by_a_street.medians_of_buckets  # a street's staff read their tickets
    exact, estimated = counted.totals, read.totals
    for name in DAY_COUNTS:
        assert getattr(estimated, name) == getattr(exact, name), name
    for name in ("median_response_s", "median_answer_s"):
        assert abs(getattr(estimated, name) - getattr(exact, name)) <= 0.01 * getattr(exact, name)
    assert (read.weeks, read.months) == (counted.weeks, counted.months)
    assert (read.categories, read.areas) == (counted.categories, counted.areas)
    assert (estimated.received, estimated.overdue, estimated.reopened) == (5, 2, 2)  # C, E; A, D
