"""Supervision (督办): a deputy group is warned before its deadlines and on the day, once each;
a missed deadline marks the ticket overdue and tells the street's staff; each group gets a
daily digest, once, and none when there is nothing to say. Run twice, restarted, or by two
processes (PostgreSQL), nothing is said twice."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.clock import FrozenClock
from bot.core import deadlines, supervision
from bot.core.supervision import Supervisor
from bot.core.tickets import TicketDesk, Who
from bot.metrics import SUPERVISOR_ACTIVE
from bot.settings import PACKAGED_LOCALES_DIR
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import (
    Actor,
    Area,
    DeadlinePolicy,
    Deputy,
    DeputyGroup,
    DigestSent,
    OutboxMessage,
    OutboxPurpose,
    Rating,
    RecipientKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)
from storage.queries.supervision import SUPERVISOR_LOCK, advisory_unlock, try_advisory_lock
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, OPINION, register_in_haide, submit

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATALOGS = Catalogs(PACKAGED_LOCALES_DIR)
NOTICES = (OutboxPurpose.DEADLINE_WARNING, OutboxPurpose.OVERDUE, OutboxPurpose.DIGEST)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def set_time(clock: FrozenClock, at: datetime) -> None:
    clock.advance(at - clock.now())


@pytest.fixture
async def sessions(database_url: str, directory_loaded) -> AsyncIterator[async_sessionmaker]:
    async with open_database(database_url) as sessionmaker:
        yield sessionmaker


_started: list[Supervisor] = []


def supervisor(sessions: async_sessionmaker, clock: FrozenClock) -> Supervisor:
    sweeper = Supervisor(sessions, clock, CATALOGS, "Asia/Shanghai", digest_at=time(9, 0))
    _started.append(sweeper)
    return sweeper


@pytest.fixture(autouse=True)
async def close_supervisors() -> AsyncIterator[None]:
    """Each test's supervisors let go of the PostgreSQL lock when it ends."""
    yield
    while _started:
        await _started.pop().close()


async def submitted(
    sessions: async_sessionmaker, clock: FrozenClock, at: datetime, area: str = "jb-hd-hx"
) -> int:
    """A resident of `area` submits at `at`; the desk routes it and sets its deadlines."""
    set_time(clock, at)
    desk = TicketDesk(clock, CATALOGS, "Asia/Shanghai")
    async with sessions.begin() as session:
        area_id = await session.scalar(select(Area.id).where(Area.code == area))
        resident = Resident(display_name="李小红", locale="zh_Hans", area_id=area_id, created_at=at)
        session.add(resident)
        await session.flush()
        submission = await desk.submit_opinion(session, resident, OPINION, f"k-{at}-{area}")
        return submission.ticket.id


async def accept(sessions: async_sessionmaker, clock: FrozenClock, ticket_id: int) -> None:
    desk = TicketDesk(clock, CATALOGS, "Asia/Shanghai")
    async with sessions.begin() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        deputy = await session.scalar(select(Deputy).where(Deputy.code == "d-wang-jianguo"))
        assert deputy is not None
        await desk.accept(session, ticket, deputy)


async def notices(sessions: async_sessionmaker) -> list[tuple[str, str, str]]:
    """(purpose, recipient kind, text) of every supervision message queued, in order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose.in_(NOTICES))
            .order_by(OutboxMessage.id)
        )
        return [(m.purpose.value, m.recipient_kind.value, m.payload["text"]) for m in rows]


async def sweep_through(
    sweeper: Supervisor, clock: FrozenClock, start: datetime, end: datetime, step: timedelta
) -> list[tuple[str, datetime]]:
    """Sweep every `step` from start to end; when (local time) each warning or notice kind
    was first queued."""
    seen: list[tuple[str, datetime]] = []
    moment = start
    while moment <= end:
        set_time(clock, moment)
        report = await sweeper.sweep(clock.now())
        assert report is not None
        if report.warnings or report.overdue:
            seen.append((f"{report.warnings} warning(s), {report.overdue} overdue", moment))
        moment += step
    return seen


async def test_warnings_across_national_day_come_once_each_at_the_morning_of_their_day(
    sessions: async_sessionmaker, clock: FrozenClock
):
    ticket_id = await submitted(sessions, clock, local(2026, 9, 29, 10))
    sweeper = supervisor(sessions, clock)
    # Accept due 8 October (after the holiday), answer due 26 October.
    seen = await sweep_through(
        sweeper, clock, local(2026, 9, 29, 11), local(2026, 10, 8, 8), timedelta(hours=1)
    )
    assert seen == []  # no warning over the holiday, none 2 days before the acceptance deadline
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 8, 8, 30), local(2026, 10, 8, 14), timedelta(minutes=30)
    )
    assert seen == [("1 warning(s), 0 overdue", local(2026, 10, 8, 9))]  # to accept today
    await accept(sessions, clock, ticket_id)
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 8, 15), local(2026, 10, 28, 12), timedelta(hours=1)
    )
    assert seen == [
        ("1 warning(s), 0 overdue", local(2026, 10, 22, 9)),  # 2 working days before: 22nd
        ("1 warning(s), 0 overdue", local(2026, 10, 26, 9)),  # on the day
        ("0 warning(s), 1 overdue", local(2026, 10, 27, 0)),  # the first sweep after 23:59:59
    ]
    texts = [t for purpose, _, t in await notices(sessions) if purpose != "digest"]
    assert texts[0].startswith("提醒：意见建议（A-2026-000001）的受理期限为今天")
    assert texts[1] == "提醒：意见建议（A-2026-000001）应于2026-10-26 23:59前答复。"
    assert texts[2].startswith("提醒：意见建议（A-2026-000001）的答复期限为今天")


async def test_the_early_warning_counts_the_make_up_working_days(
    sessions: async_sessionmaker, clock: FrozenClock
):
    # Submitted Tuesday 15 September: 15 working days, with Sunday 20 September and Saturday
    # 10 October (调休) counted and Mid-autumn and National Day skipped, end on Monday 12
    # October: 9/16, 9/17, 9/18, 9/20, 9/21 … 9/24, 9/28, 9/29, 9/30, 10/8, 10/9, 10/10, 10/12.
    ticket_id = await submitted(sessions, clock, local(2026, 9, 15, 10))
    async with sessions() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        assert ticket.answer_due == datetime(2026, 10, 12, 23, 59, 59, tzinfo=SHANGHAI)
    await accept(sessions, clock, ticket_id)
    sweeper = supervisor(sessions, clock)
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 8, 0), local(2026, 10, 11, 23), timedelta(hours=1)
    )
    # Two working days before Monday the 12th: Saturday the 10th (调休), then Friday the 9th.
    assert seen == [("1 warning(s), 0 overdue", local(2026, 10, 9, 9))]


async def test_a_longer_acceptance_deadline_gets_its_early_warning_too(
    sessions: async_sessionmaker, clock: FrozenClock
):
    async with sessions.begin() as session:
        policy = await session.scalar(
            select(DeadlinePolicy).where(DeadlinePolicy.category_id.is_(None))
        )
        assert policy is not None
        policy.acknowledge_days = 5  # as a directory file may say
    ticket_id = await submitted(sessions, clock, local(2026, 10, 12, 10))  # a Monday
    sweeper = supervisor(sessions, clock)
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 12, 11), local(2026, 10, 20, 1), timedelta(hours=1)
    )
    # To be accepted by Monday 19 October: warned Thursday the 15th, on the day, then overdue.
    assert seen == [
        ("1 warning(s), 0 overdue", local(2026, 10, 15, 9)),
        ("1 warning(s), 0 overdue", local(2026, 10, 19, 9)),
        ("0 warning(s), 1 overdue", local(2026, 10, 20, 0)),
    ]
    texts = [t for p, _, t in await notices(sessions) if p == "deadline_warning"]
    assert texts[0] == "提醒：意见建议（A-2026-000001）应于2026-10-19 23:59前受理。"
    async with sessions() as session:
        assert (await session.get_one(Ticket, ticket_id)).overdue_since is not None


async def test_an_extension_moves_the_warnings_to_the_new_deadline(
    sessions: async_sessionmaker, clock: FrozenClock
):
    ticket_id = await submitted(sessions, clock, local(2026, 9, 29, 10))
    await accept(sessions, clock, ticket_id)
    sweeper = supervisor(sessions, clock)
    await sweep_through(
        sweeper, clock, local(2026, 10, 22, 9), local(2026, 10, 22, 9), timedelta(hours=1)
    )
    async with sessions.begin() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        await deadlines.extend(
            session, ticket, "需区住建局现场查看", date(2026, 11, 20), clock.now()
        )
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 22, 10), local(2026, 11, 21, 1), timedelta(hours=3)
    )
    # None for the old deadline; for the new one (Friday 20 November): the 18th, the 20th,
    # and overdue after it.
    assert seen == [
        ("1 warning(s), 0 overdue", local(2026, 11, 18, 10)),
        ("1 warning(s), 0 overdue", local(2026, 11, 20, 10)),
        ("0 warning(s), 1 overdue", local(2026, 11, 21, 1)),
    ]


async def test_a_reopened_ticket_is_watched_afresh_for_its_new_round(
    sessions: async_sessionmaker, clock: FrozenClock
):
    ticket_id = await submitted(sessions, clock, local(2026, 9, 29, 10))
    await accept(sessions, clock, ticket_id)
    sweeper = supervisor(sessions, clock)
    set_time(clock, local(2026, 10, 27, 8))  # answer due 26 October: missed
    assert (await sweeper.sweep(clock.now())).overdue == 1  # type: ignore[union-attr]
    desk = TicketDesk(clock, CATALOGS, "Asia/Shanghai")
    set_time(clock, local(2026, 10, 28, 10))  # a Wednesday: answered late, closed, unsatisfied
    async with sessions.begin() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        wang = await session.scalar(select(Deputy).where(Deputy.code == "d-wang-jianguo"))
        assert wang is not None
        await desk.reply_from_deputy(session, ticket, wang, "路灯已修复。")
        await desk.close(session, ticket, Who(Actor.DEPUTY, wang.id))
        resident = await session.get_one(Resident, ticket.resident_id)
        await desk.rate(session, ticket, resident, Rating.UNSATISFIED)
        assert ticket.status == TicketStatus.REOPENED and ticket.overdue_since is None
    # Round two: accept by Friday 30 October, answer within 10 working days (11 November).
    seen = await sweep_through(
        sweeper, clock, local(2026, 10, 28, 11), local(2026, 11, 12, 1), timedelta(hours=2)
    )
    assert seen == [
        ("1 warning(s), 0 overdue", local(2026, 10, 30, 9)),  # to accept today
        ("0 warning(s), 1 overdue", local(2026, 10, 31, 1)),  # not accepted
        ("1 warning(s), 0 overdue", local(2026, 11, 9, 9)),  # the answer, 2 days before
        ("1 warning(s), 0 overdue", local(2026, 11, 11, 9)),  # on the day
        ("0 warning(s), 1 overdue", local(2026, 11, 12, 1)),
    ]


async def test_an_overdue_ticket_is_marked_told_to_the_group_and_the_streets_staff(
    sessions: async_sessionmaker, clock: FrozenClock
):
    ticket_id = await submitted(sessions, clock, local(2026, 9, 29, 10))
    sweeper = supervisor(sessions, clock)
    set_time(clock, local(2026, 10, 9, 8))  # the acceptance deadline (8 October) has passed
    report = await sweeper.sweep(clock.now())
    assert report is not None and report.overdue == 1
    async with sessions() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        assert ticket.overdue_since == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
        events = list(
            await session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket_id,
                    TicketEvent.action == TimelineAction.OVERDUE,
                )
            )
        )
        assert [e.detail["kind"] for e in events] == ["accept_overdue"]
        assert events[0].detail["staff_told"] is True
        street = await session.scalar(select(Area).where(Area.code == "jb-hd"))
        assert street is not None
    queued = await notices(sessions)
    staff = [t for purpose, kind, t in queued if kind == RecipientKind.STAFF_CHAT.value]
    group = [t for purpose, kind, t in queued if kind == RecipientKind.DEPUTY_GROUP.value]
    assert staff[0].startswith(
        "<b>督办提醒：海德街道第一代表小组的意见建议（A-2026-000001）"
        "已超过受理期限（2026-10-08 23:59）。</b>"
    )
    assert group[-1] == (
        "意见建议（A-2026-000001）已超过受理期限（2026-10-08 23:59），请尽快受理。\n"
        "已报街道人大工委督办。"
    )
    # Accepted late: no longer overdue (the answer deadline is still ahead).
    await accept(sessions, clock, ticket_id)
    async with sessions() as session:
        assert (await session.get_one(Ticket, ticket_id)).overdue_since is None


async def test_a_restart_or_a_second_sweeper_warns_nobody_twice(
    sessions: async_sessionmaker, clock: FrozenClock, database_url: str
):
    await submitted(sessions, clock, local(2026, 9, 29, 10))
    set_time(clock, local(2026, 10, 8, 9, 5))
    first = supervisor(sessions, clock)
    assert (await first.sweep(clock.now())).warnings == 1  # type: ignore[union-attr]
    await first.close()
    restarted = supervisor(sessions, clock)  # a new process on the same database
    report = await restarted.sweep(clock.now())
    assert report is not None and (report.warnings, report.overdue) == (0, 0)
    await restarted.close()
    # Two sweepers at the same moment, each in its own engine, neither holding a lock.
    set_time(clock, local(2026, 10, 9, 9))
    async with open_database(database_url) as other:
        one, two = supervisor(sessions, clock), supervisor(other, clock)
        reports = await asyncio.gather(
            one.sweep_without_lock(clock.now()), two.sweep_without_lock(clock.now())
        )
    assert sorted(r.overdue for r in reports) == [0, 1]
    assert sorted(r.digests for r in reports) == [0, 1]
    kinds = [(p, k) for p, k, _ in await notices(sessions)]
    assert kinds.count(("overdue", "deputy_group")) == 1
    assert kinds.count(("overdue", "staff_chat")) == 1
    assert kinds.count(("digest", "deputy_group")) == 2  # one on the 8th, one on the 9th


async def test_a_warning_that_fails_is_not_recorded_and_holds_up_no_other(
    sessions: async_sessionmaker, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
):
    first = await submitted(sessions, clock, local(2026, 10, 19, 10))
    await submitted(sessions, clock, local(2026, 10, 19, 11), area="jb-hd-xq")
    sweeper = supervisor(sessions, clock)
    set_time(clock, local(2026, 10, 21, 9, 30))  # both are to be accepted today
    warn = Supervisor._warn

    def failing_for_the_first(self, session, ticket, notice, now):  # type: ignore[no-untyped-def]
        if ticket.id == first:
            raise RuntimeError("the database went away mid-warning")
        warn(self, session, ticket, notice, now)

    monkeypatch.setattr(Supervisor, "_warn", failing_for_the_first)
    assert (await sweeper.sweep(clock.now())).warnings == 1  # type: ignore[union-attr]
    monkeypatch.setattr(Supervisor, "_warn", warn)
    # Its claim went with the failed transaction: the next sweep sends the first's warning.
    assert (await sweeper.sweep(clock.now())).warnings == 1  # type: ignore[union-attr]
    assert (await sweeper.sweep(clock.now())).warnings == 0  # type: ignore[union-attr]
    warnings = [t for p, _, t in await notices(sessions) if p == "deadline_warning"]
    assert sorted(warnings) == [
        "提醒：意见建议（A-2026-000001）的受理期限为今天（2026-10-21 23:59前）。",
        "提醒：意见建议（A-2026-000002）的受理期限为今天（2026-10-21 23:59前）。",
    ]


async def test_the_digest_comes_once_a_day_at_its_time_and_not_when_there_is_nothing(
    sessions: async_sessionmaker, clock: FrozenClock
):
    first = await submitted(sessions, clock, local(2026, 10, 19, 10))  # accept by the 21st
    await submitted(sessions, clock, local(2026, 10, 19, 11), area="jb-hd-xq")  # group 2
    await accept(sessions, clock, first)
    sweeper = supervisor(sessions, clock)
    set_time(clock, local(2026, 10, 20, 8, 59))
    assert (await sweeper.sweep(clock.now())).digests == 0  # type: ignore[union-attr]
    set_time(clock, local(2026, 10, 20, 9, 0))
    # Group 2's ticket is to be accepted by Wednesday the 21st: within three days. Group 1's
    # is accepted and due 9 November; the other groups hold nothing.
    assert (await sweeper.sweep(clock.now())).digests == 1  # type: ignore[union-attr]
    set_time(clock, local(2026, 10, 20, 17, 0))
    assert (await sweeper.sweep(clock.now())).digests == 0  # type: ignore[union-attr]
    digests = [(kind, t) for purpose, kind, t in await notices(sessions) if purpose == "digest"]
    assert digests == [
        (
            "deputy_group",
            "<b>海德街道第二代表小组每日办理提醒（2026-10-20）</b>\n\n三日内到期：\n"
            "• A-2026-000002，受理期限为2026-10-21 23:59",
        )
    ]
    async with sessions() as session:
        group_2 = await session.scalar(select(DeputyGroup.id).where(DeputyGroup.code == "g-hd-2"))
        rows = await session.scalars(
            select(DigestSent.group_id).where(DigestSent.day == date(2026, 10, 20))
        )
        assert group_2 in list(rows)
    # The next day: group 2's ticket is overdue, and listed as such.
    set_time(clock, local(2026, 10, 22, 9, 30))
    assert (await sweeper.sweep(clock.now())).digests == 1  # type: ignore[union-attr]
    last = [t for purpose, _, t in await notices(sessions) if purpose == "digest"][-1]
    assert "已超期：\n• A-2026-000002，受理期限为2026-10-21 23:59" in last


async def test_on_postgres_one_process_sweeps_and_another_takes_over_when_it_dies(
    backend: str, sessions: async_sessionmaker, clock: FrozenClock, database_url: str
):
    if backend != "postgres":
        pytest.skip("SQLite runs one process; there is no lock to take")
    await submitted(sessions, clock, local(2026, 9, 29, 10))
    set_time(clock, local(2026, 10, 8, 9, 5))
    async with open_database(database_url) as other:
        first, second = supervisor(sessions, clock), supervisor(other, clock)
        assert await first.sweep(clock.now()) is not None
        assert await second.sweep(clock.now()) is None  # the first holds the lock
        assert await first.sweep(clock.now()) is not None  # and keeps it
        # The first process dies: the server ends its connection, and its lock with it.
        async with sessions() as session:
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND classid = :high "
                    "AND objid = :low AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"high": SUPERVISOR_LOCK >> 32, "low": SUPERVISOR_LOCK & 0xFFFFFFFF},
            )
        set_time(clock, local(2026, 10, 9, 9))
        report = await second.sweep(clock.now())
        assert report is not None and report.overdue == 1
        assert await first.sweep(clock.now()) is None  # back, it finds the lock taken
        await second.close()
        assert await first.sweep(clock.now()) is not None
        await first.close()
    kinds = [(p, k) for p, k, _ in await notices(sessions)]
    assert kinds.count(("deadline_warning", "deputy_group")) == 1
    assert kinds.count(("overdue", "deputy_group")) == 1


async def test_on_postgres_only_the_process_holding_the_lock_says_it_is_active(
    backend: str,
    sessions: async_sessionmaker,
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
):
    """The gauge `liaison_supervisor_active` adds up to the one process that sweeps: a process
    trying for the lock, failing to get it or failing to ask says 0, so a dashboard (or the
    scale-out test) never takes a waiting process for the active one."""
    if backend != "postgres":
        pytest.skip("SQLite runs one process; there is no lock to take")
    said_while_trying: list[float] = []

    async def try_lock(connection, key=SUPERVISOR_LOCK):  # type: ignore[no-untyped-def]
        said_while_trying.append(SUPERVISOR_ACTIVE._value.get())
        return await try_advisory_lock(connection, key)

    monkeypatch.setattr(supervision, "try_advisory_lock", try_lock)
    sweeper = supervisor(sessions, clock)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as another_process:
            await another_process.execution_options(isolation_level="AUTOCOMMIT")
            assert await try_advisory_lock(another_process)
            assert await sweeper.sweep(clock.now()) is None
            assert said_while_trying == [0] and SUPERVISOR_ACTIVE._value.get() == 0
            await advisory_unlock(another_process)
        assert await sweeper.sweep(clock.now()) is not None
        assert SUPERVISOR_ACTIVE._value.get() == 1
    finally:
        await engine.dispose()
    await sweeper.close()

    async def broken(connection, key=SUPERVISOR_LOCK):  # type: ignore[no-untyped-def]
        raise ConnectionError("the database went away")

    monkeypatch.setattr(supervision, "try_advisory_lock", broken)
    with pytest.raises(ConnectionError):
        await sweeper.sweep(clock.now())
    assert SUPERVISOR_ACTIVE._value.get() == 0


HAIDE_STAFF_CHAT = -1001000000901  # 海德街道人大工委, `staff_chat_id` in the demo directory


async def test_the_group_and_the_streets_staff_read_the_notices_in_their_chats(harness: Harness):
    """Through the Bot API: a resident submits on Monday evening; on Wednesday morning the
    group's chat is reminded to accept it, and after Wednesday the group and the street
    committee's chat are told it is overdue — by the running bot's supervisor."""
    staff = harness.fake.user(user_id=9100000001, first_name="工委", last_name="联络员")
    harness.fake.group(HAIDE_STAFF_CHAT, "海德街道人大工委", [staff])
    resident = harness.fake.user(
        user_id=5101, first_name="小红", last_name="李", language_code="zh-hans"
    )
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    await harness.bot_says(HAIDE_GROUP_1, OPINION)
    [sweeper] = [s for s in harness.app.services if isinstance(s, Supervisor)]
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        # Submitted Monday 23 November, 18:30: to be accepted by the end of Wednesday.
        assert ticket.acknowledge_due == datetime(2026, 11, 25, 23, 59, 59, tzinfo=SHANGHAI)
    clock = harness.app.clock
    assert isinstance(clock, FrozenClock)
    set_time(clock, local(2026, 11, 25, 9, 30))
    await sweeper.sweep(clock.now())
    warning = await harness.bot_says(HAIDE_GROUP_1, "受理期限为今天")
    assert warning["text"] == (
        f"提醒：意见建议（{ticket.number}）的受理期限为今天（2026-11-25 23:59前）。"
    )
    set_time(clock, local(2026, 11, 26, 0, 5))
    await sweeper.sweep(clock.now())
    overdue = await harness.bot_says(HAIDE_GROUP_1, "已超过受理期限")
    assert overdue["text"].endswith("请尽快受理。\n已报街道人大工委督办。")
    told = await harness.bot_says(HAIDE_STAFF_CHAT, "督办提醒")
    assert told["text"].startswith(f"督办提醒：海德街道第一代表小组的意见建议（{ticket.number}）")
    assert OPINION[:20] in told["text"]
    await harness.outbox_settled()
    assert len(harness.fake.bot_messages(HAIDE_STAFF_CHAT)) == 1
