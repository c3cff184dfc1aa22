"""Receptions at core level: the checks staff meet when they schedule (a time in the past, no
capacity, a deputy already on duty, fewer places than sign-ups), and reminders claimed exactly
once by two sweepers running at the same moment (on PostgreSQL, two connections)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.core.directory import DirectoryError, parse_directory, read_directory
from bot.core.directory.receptions import schedule_receptions
from bot.core.reception_reminders import Due, ReceptionReminders, kind_due
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionPlan, ReceptionRefused, Refusal
from bot.core.residents import register_resident
from bot.delivery.outbox import Recipient
from bot.settings import PACKAGED_LOCALES_DIR
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import (
    TELEGRAM,
    Deputy,
    DeputyGroup,
    OutboxMessage,
    OutboxPurpose,
    Reception,
    ReceptionKind,
    ReceptionReminder,
    ReceptionSignup,
    SignupStatus,
    Station,
)
from tests.support.harness import DEMO_DIRECTORY
from tests.support.receptions import local

CATALOGS = Catalogs(PACKAGED_LOCALES_DIR)


@pytest.fixture
async def sessions(database_url: str, directory_loaded) -> AsyncIterator[async_sessionmaker]:
    async with open_database(database_url) as sessionmaker:
        yield sessionmaker


async def plan(session: AsyncSession, starts_at, **changes) -> ReceptionPlan:
    async def one(model, code):
        return (await session.scalars(select(model).where(model.code == code))).one()

    values = {
        "kind": ReceptionKind.NIGHT,
        "station": await one(Station, "st-hd"),
        "group": await one(DeputyGroup, "g-hd-1"),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": 2,
        "deputies": (await one(Deputy, "d-wang-jianguo"),),
        "place": "海德路88号",
    }
    values.update(changes)
    return ReceptionPlan(**values)


async def refusal_of(action) -> Refusal:
    with pytest.raises(ReceptionRefused) as refused:
        await action
    return refused.value.refusal


async def test_staff_checks_refuse_and_change_nothing(sessions: async_sessionmaker, clock):
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    evening = local(2026, 11, 26, 19, 0)
    async with sessions.begin() as session:
        first = (await desk.create(session, await plan(session, evening))).reception
        past = await plan(session, local(2026, 11, 20, 19, 0))
        assert await refusal_of(desk.create(session, past)) == Refusal.IN_THE_PAST
        empty = await plan(session, evening + timedelta(days=1), capacity=0)
        assert await refusal_of(desk.create(session, empty)) == Refusal.NO_CAPACITY
        backwards = await plan(session, evening, ends_at=evening - timedelta(hours=1))
        assert await refusal_of(desk.create(session, backwards)) == Refusal.ENDS_BEFORE_START
        nowhere = await plan(session, evening + timedelta(days=2), place=None)
        assert await refusal_of(desk.create(session, nowhere)) == Refusal.NO_PLACE
        overlapping = await plan(session, evening + timedelta(hours=1))
        with pytest.raises(ReceptionRefused) as busy:
            await desk.create(session, overlapping)
        assert (busy.value.refusal, busy.value.detail) == (Refusal.DEPUTY_BUSY, "王建国")
        # Another deputy at the same time is fine; so is the same deputy right after.
        await desk.create(session, await plan(session, evening, deputies=()))
        await desk.create(session, await plan(session, evening + timedelta(hours=2)))
        # The change of a reception is checked the same way, and not against itself.
        moved = desk.change(
            session,
            first,
            starts_at=evening + timedelta(minutes=30),
            ends_at=evening + timedelta(hours=2, minutes=30),
        )
        assert await refusal_of(moved) == Refusal.DEPUTY_BUSY
        await desk.change(session, first, capacity=5)

        signups = Signups(desk)
        for user in ("6001", "6002"):
            resident = await register_resident(
                session, TELEGRAM, user, "小红", "zh_Hans", clock.now()
            )
            await signups.sign_up(session, first, resident, show_name=False)
        await desk.cancel(session, first, "")
        assert await refusal_of(desk.cancel(session, first, "")) == Refusal.CANCELLED
        assert (
            await refusal_of(signups.sign_up(session, first, resident, True)) == Refusal.CANCELLED
        )


async def test_check_in_opens_a_day_before_and_closes_at_the_end(
    sessions: async_sessionmaker, clock
):
    """The window is the core's, so every door (group, list, command line) obeys it."""
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    evening = local(2026, 11, 26, 19, 0)  # three days after START
    signups = Signups(desk)
    async with sessions.begin() as session:
        reception = (await desk.create(session, await plan(session, evening))).reception
        resident = await register_resident(
            session, TELEGRAM, "6101", "小红", "zh_Hans", clock.now()
        )
        code = (await signups.sign_up(session, reception, resident, show_name=False)).code
        early = signups.check_in(session, reception, code)
        assert await refusal_of(early) == Refusal.CHECK_IN_NOT_OPEN
        clock.advance(evening + timedelta(hours=2) - clock.now())
        assert await refusal_of(signups.check_in(session, reception, code)) == Refusal.OVER
        clock.advance(timedelta(hours=-1))
        assert (await signups.check_in(session, reception, code)).checked_in_at == clock.now()


async def test_a_reminder_falls_due_once_and_not_after_a_late_sign_up():
    start = local(2026, 11, 26, 19, 0)
    early = start - timedelta(days=3)
    assert kind_due(early, start, start - timedelta(hours=25)) is None
    assert kind_due(early, start, start - timedelta(hours=24)) == "day_before"
    assert kind_due(early, start, start - timedelta(hours=2)) == "two_hours"
    # Signed up 5 hours before: no day-before reminder, but the two-hour one.
    late = start - timedelta(hours=5)
    assert kind_due(late, start, start - timedelta(hours=4)) is None
    assert kind_due(late, start, start - timedelta(hours=1)) == "two_hours"


async def test_two_sweepers_at_once_send_each_reminder_once(sessions: async_sessionmaker):
    clock = FrozenClock(local(2026, 11, 23, 10, 0))
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    async with sessions.begin() as session:
        receptions = [
            (
                await desk.create(session, await plan(session, at, deputies=(), capacity=30))
            ).reception
            for at in (local(2026, 11, 24, 12, 0), local(2026, 11, 24, 20, 0))
        ]
        signups = Signups(desk)
        for number in range(20):
            resident = await register_resident(
                session, TELEGRAM, str(7100 + number), "小红", "zh_Hans", clock.now()
            )
            for reception in receptions:
                await signups.sign_up(session, reception, resident, show_name=True)
    clock.advance(timedelta(hours=24, minutes=30))  # day before both; two hours before the first
    # Two sweepers, as two processes would be: each with its own sessions and connections.
    sweeps = [
        ReceptionReminders(sessions, ReceptionDesk(clock, CATALOGS, "Asia/Shanghai"))
        for _ in range(2)
    ]
    counts = await asyncio.gather(*(sweep.sweep(clock.now()) for sweep in sweeps))
    # The first: two hours before (20); the second: the day before (20); two group lists.
    assert sum(counts) == 42
    async with sessions() as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == OutboxPurpose.RECEPTION_REMINDER)
        )
        claims = await session.scalar(select(func.count()).select_from(ReceptionReminder))
    assert (queued, claims) == (42, 42)
    again = await asyncio.gather(*(sweep.sweep(clock.now()) for sweep in sweeps))
    assert again == [0, 0]


async def test_the_directory_lays_out_a_month_of_receptions_once(
    sessions: async_sessionmaker, clock
):
    """The demo directory: night-time receptions every week at four stations, a themed one
    with a department, micro and online ones; loading again adds nothing."""
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    entries = read_directory(DEMO_DIRECTORY).receptions
    async with sessions.begin() as session:
        first = await schedule_receptions(session, desk, entries)
    async with sessions.begin() as session:
        again = await schedule_receptions(session, desk, entries)
        kinds = list(await session.scalars(select(Reception.kind).order_by(Reception.starts_at)))
        themed = (
            await session.scalars(select(Reception).where(Reception.kind == ReceptionKind.THEMED))
        ).one()
    assert (first.scheduled, first.skipped, again.scheduled) == (20, [], 0)
    assert kinds.count(ReceptionKind.NIGHT) == 16
    assert (kinds.count(ReceptionKind.MICRO), kinds.count(ReceptionKind.ONLINE)) == (2, 1)
    assert (themed.theme, themed.department) == ("老旧小区加装电梯", "区住房和城乡建设局")
    assert themed.starts_at == local(2026, 12, 3, 14, 30)  # ten days after START (23 Nov)


async def test_loading_the_directory_on_a_later_day_adds_no_second_themed_reception(
    sessions: async_sessionmaker, clock
):
    """A reception 'in_days' from today is made once: loading again tomorrow adds only the new
    days of the weekly ones, not another themed, micro or online reception."""
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    entries = read_directory(DEMO_DIRECTORY).receptions
    async with sessions.begin() as session:
        await schedule_receptions(session, desk, entries)
    clock.advance(timedelta(days=1))
    async with sessions.begin() as session:
        await schedule_receptions(session, desk, entries)
        kinds = list(await session.scalars(select(Reception.kind)))
    assert kinds.count(ReceptionKind.THEMED) == 1
    assert (kinds.count(ReceptionKind.MICRO), kinds.count(ReceptionKind.ONLINE)) == (2, 1)


def test_a_wrong_reception_entry_is_reported_with_its_line():
    text = (
        "stations:\n  - {code: s, name: 站, area: a}\n"
        "areas:\n  - {code: a, name: 区, kind: district}\n"
        "receptions:\n"
        "  - {code: r, kind: night, station: s, start: 21:00, end: 19:00, capacity: 5,"
        " every: [tuesday], day: 2026-12-01, deputies: [nobody]}\n"
    )
    with pytest.raises(DirectoryError) as error:
        parse_directory(text, "demo.yaml")
    assert error.value.problems == [
        "demo.yaml:6: receptions[0]: give exactly one of 'every' (weekdays), 'day' or 'in_days'",
        "demo.yaml:6: receptions[0].end: a reception ends after it begins",
        "demo.yaml:6: receptions[0]: give a 'place', or 'online' with how to join",
        "demo.yaml:6: receptions[0].deputies[0]: no deputy has the code 'nobody'",
    ]


async def test_a_reminder_worked_out_for_the_old_start_is_not_sent_for_the_new_one(
    sessions: async_sessionmaker, clock
):
    """The sweep saw the reception three hours ahead (the day-before reminder); staff moved it
    to ninety minutes ahead before the claim. The day-before text is not claimed for the new
    start: the next sweep sends the two-hours one."""
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    evening = local(2026, 11, 25, 19, 0)
    async with sessions.begin() as session:
        reception = (await desk.create(session, await plan(session, evening))).reception
        resident = await register_resident(
            session, TELEGRAM, "6201", "小红", "zh_Hans", clock.now()
        )
        await Signups(desk).sign_up(session, reception, resident, show_name=False)
    clock.advance(evening - timedelta(hours=3) - clock.now())
    assert kind_due(clock.now() - timedelta(days=1), evening, clock.now()) == "day_before"
    due = Due(reception.id, Recipient.resident(resident.id), "day_before", reception.starts_at)
    async with sessions.begin() as session:
        moved = await session.get_one(Reception, reception.id)
        await desk.change(
            session,
            moved,
            starts_at=clock.now() + timedelta(minutes=90),
            ends_at=clock.now() + timedelta(hours=3),
        )
    reminders = ReceptionReminders(sessions, desk)
    async with sessions.begin() as session:
        assert await reminders._send(session, due, clock.now()) == 0
    assert await reminders.sweep(clock.now()) == 2  # the resident's, and the group's list
    async with sessions() as session:
        kinds = set(await session.scalars(select(ReceptionReminder.kind)))
    assert kinds == {"two_hours", "signup_list"}


async def test_a_capacity_change_waits_for_a_sign_up_in_progress(
    sessions: async_sessionmaker, clock, backend: str
):
    """Staff lower the capacity to 1 while a second resident is signing up: the change waits
    for the sign-up's commit, counts two places and moves the second resident to the head of
    the waitlist (two connections). PostgreSQL: the reception's row lock, and the test sees the
    change wait for it. SQLite: the one writer's lock (`hold` writes first); SQLite shows no
    one waiting, so the test gives the change half a second to reach the lock."""
    desk = ReceptionDesk(clock, CATALOGS, "Asia/Shanghai")
    signups = Signups(desk)
    async with sessions.begin() as session:
        reception = (
            await desk.create(session, await plan(session, local(2026, 11, 26, 19)))
        ).reception
        first, second = [
            await register_resident(session, TELEGRAM, user, "小红", "zh_Hans", clock.now())
            for user in ("6301", "6302")
        ]
        await signups.sign_up(session, reception, first, show_name=False)

    async def lower() -> list[int]:
        async with sessions.begin() as session:
            ours = await session.get_one(Reception, reception.id)
            outcome = await desk.change(session, ours, capacity=1)
            return [signup.resident_id for signup in outcome.moved_to_waitlist]

    async with sessions() as session, session.begin():
        ours = await session.get_one(Reception, reception.id)
        await signups.sign_up(session, ours, second, show_name=False)
        changing = asyncio.create_task(lower())
        async with sessions() as watcher:
            waiting = (
                "select count(*) from pg_stat_activity"
                " where datname = current_database() and wait_event_type = 'Lock'"
            )
            while backend == "postgres" and not await watcher.scalar(text(waiting)):
                await asyncio.sleep(0.01)
        if backend == "sqlite":
            await asyncio.sleep(0.5)
    assert await changing == [second.id]
    async with sessions() as session:
        assert (await session.get_one(Reception, reception.id)).capacity == 1
        statuses = dict(
            (
                await session.execute(select(ReceptionSignup.resident_id, ReceptionSignup.status))
            ).all()
        )
    assert statuses == {first.id: SignupStatus.CONFIRMED, second.id: SignupStatus.WAITLISTED}
