"""Deadlines (限时办理): working days of the official calendar (National Day, 调休), the
directory's own days and per-category policies, what each step does to a ticket's deadlines,
and the one extension staff may grant."""

import logging
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.core import calendar as calendar_module
from bot.core import deadlines
from bot.core.calendar import WorkCalendar
from bot.core.deadlines import DEFAULT_POLICY, DeadlineError, Policy, policy_for
from bot.core.directory import DirectoryError, load_directory, parse_directory
from bot.core.tickets import TicketDesk, Who
from bot.settings import PACKAGED_LOCALES_DIR
from bot.text.catalogs import Catalogs
from storage.models import (
    Actor,
    Area,
    CalendarDay,
    Category,
    Deputy,
    Rating,
    RecipientKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)
from storage.queries.contacts import address_of
from tests.support.harness import DEMO_DIRECTORY

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


def set_time(clock: FrozenClock, at: datetime) -> None:
    clock.advance(at - clock.now())


# --- the calendar -------------------------------------------------------------------------


def test_national_day_is_skipped_and_its_make_up_working_days_count():
    calendar = WorkCalendar()
    # 2026: 1–7 October off; Sunday 20 September and Saturday 10 October are working days.
    assert calendar.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a Saturday
    assert calendar.add_workdays(date(2026, 9, 19), 1) == date(2026, 9, 20)  # a Sunday
    assert calendar.workdays_before(date(2026, 10, 8), 2) == date(2026, 9, 29)
    assert not calendar.is_workday(date(2026, 10, 11))  # the Sunday after stays a rest day


@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 30)),
    count=st.integers(min_value=1, max_value=40),
)
def test_counting_working_days_lands_on_the_nth_working_day_after(start: date, count: int):
    calendar = WorkCalendar()
    end = calendar.add_workdays(start, count)
    assert calendar.is_workday(end)
    days = [start + timedelta(days=n) for n in range(1, (end - start).days + 1)]
    assert sum(calendar.is_workday(day) for day in days) == count
    # Going back as many working days from a working day returns to the last working day at
    # or before the start.
    back = calendar.workdays_before(end, count)
    assert back <= start and all(not calendar.is_workday(d) for d in days if back < d <= start)


def test_the_directory_overrides_single_days():
    calendar = WorkCalendar({date(2026, 10, 8): False, date(2026, 10, 3): True})
    assert calendar.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 3)
    assert calendar.add_workdays(date(2026, 10, 3), 1) == date(2026, 10, 9)


def test_a_year_the_package_does_not_know_is_monday_to_friday_with_one_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(calendar_module, "_years_warned", set())
    calendar = WorkCalendar({date(2027, 1, 1): False})  # New Year's Day, from the file
    with caplog.at_level(logging.WARNING, logger="bot.core.calendar"):
        assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
        assert calendar.add_workdays(date(2027, 1, 8), 1) == date(2027, 1, 11)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1


# --- policies from the directory file ----------------------------------------------------


async def test_policies_come_from_the_file_then_the_code(session: AsyncSession, directory_loaded):
    housing = await session.scalar(select(Category).where(Category.code == "housing"))
    transport = await session.scalar(select(Category).where(Category.code == "transport"))
    assert housing is not None and transport is not None
    # The demo file: housing answers in 20 working days, everything else the defaults.
    assert await policy_for(session, housing.id) == Policy(2, 20, 10, 90)
    assert await policy_for(session, transport.id) == DEFAULT_POLICY
    assert await policy_for(session, None) == DEFAULT_POLICY


async def test_deadlines_and_calendar_load_idempotently_and_go_when_the_file_drops_them(
    session: AsyncSession,
):
    text = DEMO_DIRECTORY.read_text(encoding="utf-8")
    directory = parse_directory(text)
    first = await load_directory(session, directory)
    assert first.created["deadline_policies"] == 2
    assert first.created["calendar_days"] == 1
    again = await load_directory(session, directory)
    assert "deadline_policies" not in again.updated and "calendar_days" not in again.updated
    changed = text.replace("housing: {answer_days: 20}", "housing: {answer_days: 25}")
    report = await load_directory(session, parse_directory(changed))
    assert report.updated["deadline_policies"] == 1
    housing = await session.scalar(select(Category).where(Category.code == "housing"))
    assert housing is not None
    assert (await policy_for(session, housing.id)).answer_days == 25
    without = changed.split("\ndeadlines:")[0]
    await load_directory(session, parse_directory(without))
    assert await policy_for(session, housing.id) == DEFAULT_POLICY
    assert list(await session.scalars(select(CalendarDay))) == []


async def test_a_streets_staff_chat_becomes_its_contact(session: AsyncSession, directory_loaded):
    street = await session.scalar(select(Area).where(Area.code == "jb-hd"))
    assert street is not None
    address = await address_of(session, RecipientKind.STAFF_CHAT, street.id, "telegram")
    assert address == "-1001000000901"


def test_wrong_deadline_and_calendar_entries_are_reported_with_their_line():
    text = DEMO_DIRECTORY.read_text(encoding="utf-8")
    text = text.replace("housing: {answer_days: 20}", "parking: {answer_days: 0}")
    text = text.replace(
        "{code: jb-hd-hx, name: 和祥社区,", "{code: jb-hd-hx, staff_chat_id: 5, name: 和祥社区,"
    )
    text += "  - {day: 2027-01-01, workday: true}\n"
    with pytest.raises(DirectoryError) as error:
        parse_directory(text, "demo.yaml")
    problems = "\n".join(error.value.problems)
    assert re.search(r"demo\.yaml:\d+: deadlines\.parking\.answer_days: at least 1", problems)
    assert len(error.value.problems) == 1  # the type errors come first; then the references
    text = text.replace("parking: {answer_days: 0}", "parking: {answer_days: 3}")
    with pytest.raises(DirectoryError) as error:
        parse_directory(text, "demo.yaml")
    problems = "\n".join(error.value.problems)
    assert "deadlines.parking: 'parking' is neither 'default' nor a category's code" in problems
    assert "staff_chat_id: only a street (街道/乡镇) has a staff chat" in problems
    assert "calendar[1].day: '2027-01-01' appears more than once" in problems


# --- what the steps do --------------------------------------------------------------------


@pytest.fixture
def desk(clock: FrozenClock) -> TicketDesk:
    return TicketDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")


async def submit(
    session: AsyncSession,
    desk: TicketDesk,
    clock: FrozenClock,
    at: datetime,
    category: str | None = None,
    area: str = "jb-hd-hx",
) -> Ticket:
    """A resident of 和祥社区 (海德街道第一代表小组) submits at `at`."""
    set_time(clock, at)
    area_id = await session.scalar(select(Area.id).where(Area.code == area))
    category_id = (
        await session.scalar(select(Category.id).where(Category.code == category))
        if category
        else None
    )
    resident = Resident(display_name="李小红", locale="zh_Hans", area_id=area_id, created_at=at)
    session.add(resident)
    await session.flush()
    submission = await desk.submit_opinion(
        session, resident, "路灯坏了", f"key-{at.isoformat()}-{category}", category_id
    )
    return submission.ticket


async def deputy(session: AsyncSession, code: str = "d-wang-jianguo") -> Deputy:
    found = await session.scalar(select(Deputy).where(Deputy.code == code))
    assert found is not None
    return found


async def test_a_ticket_routed_before_national_day_is_due_after_it(
    session: AsyncSession, directory_loaded, desk: TicketDesk, clock: FrozenClock
):
    ticket = await submit(session, desk, clock, local(2026, 9, 29))
    assert ticket.status == TicketStatus.ASSIGNED
    # Accepted within 2 working days: 30 September, then 8 October (1–7 are National Day).
    assert ticket.acknowledge_due == end_of(2026, 10, 8)
    # Answered within 15: 9/30, 10/8, 10/9, Saturday 10/10 (调休), 10/12 … 10/26.
    assert ticket.answer_due == end_of(2026, 10, 26)


async def test_a_category_of_its_own_gets_its_own_deadline(
    session: AsyncSession, directory_loaded, desk: TicketDesk, clock: FrozenClock
):
    ticket = await submit(session, desk, clock, local(2026, 9, 29), category="transport")
    housing = await submit(session, desk, clock, local(2026, 9, 29, 11), category="housing")
    assert ticket.answer_due == end_of(2026, 10, 26)
    assert housing.answer_due == end_of(2026, 11, 2)  # 20 working days


async def test_accepting_keeps_the_deadlines_and_a_reopen_sets_a_new_answer_deadline(
    session: AsyncSession, directory_loaded, desk: TicketDesk, clock: FrozenClock
):
    ticket = await submit(session, desk, clock, local(2026, 9, 29))
    wang = await deputy(session)
    set_time(clock, local(2026, 10, 8, 9))
    await desk.accept(session, ticket, wang)
    assert (ticket.acknowledge_due, ticket.answer_due) == (
        end_of(2026, 10, 8),
        end_of(2026, 10, 26),
    )
    await desk.reply_from_deputy(session, ticket, wang, "已修好")
    await desk.close(session, ticket, Who(Actor.STAFF))
    ticket.overdue_since = local(2026, 10, 27, 0)  # as if it had been late
    resident = await session.get_one(Resident, ticket.resident_id)
    set_time(clock, local(2026, 10, 30, 15))  # a Friday
    await desk.rate(session, ticket, resident, Rating.UNSATISFIED)
    assert ticket.status == TicketStatus.REOPENED
    # 10 working days from Friday 30 October: 11/2 … 11/13.
    assert ticket.answer_due == end_of(2026, 11, 13)
    assert ticket.acknowledge_due == end_of(2026, 11, 3)
    assert ticket.overdue_since is None


async def test_staff_extend_once_with_a_reason_within_three_months(
    session: AsyncSession, directory_loaded, desk: TicketDesk, clock: FrozenClock
):
    ticket = await submit(session, desk, clock, local(2026, 9, 29))
    now = local(2026, 10, 20).astimezone(UTC)
    with pytest.raises(DeadlineError, match="needs a reason"):
        await deadlines.extend(session, ticket, "  ", date(2026, 12, 1), now)
    with pytest.raises(DeadlineError, match="2026-12-28 at the latest"):
        await deadlines.extend(session, ticket, "需住建局评估", date(2026, 12, 29), now)
    with pytest.raises(DeadlineError, match="later than the current deadline"):
        await deadlines.extend(session, ticket, "需住建局评估", date(2026, 10, 26), now)
    assert ticket.answer_due == end_of(2026, 10, 26) and ticket.extension_reason is None

    await deadlines.extend(session, ticket, "需住建局评估", date(2026, 12, 28), now, staff_id=7)
    assert ticket.answer_due == end_of(2026, 12, 28)
    assert ticket.extension_reason == "需住建局评估"
    with pytest.raises(DeadlineError, match="extended once already"):
        await deadlines.extend(session, ticket, "再延一次", date(2026, 12, 28), now)
    await session.flush()
    event = await session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == TimelineAction.EXTENDED
        )
    )
    assert event is not None and event.actor_id == 7
    assert event.detail["reason"] == "需住建局评估"


async def test_a_ticket_not_with_a_group_cannot_be_extended(
    session: AsyncSession, directory_loaded, desk: TicketDesk, clock: FrozenClock
):
    ticket = await submit(session, desk, clock, local(2026, 9, 29))
    ticket.status = TicketStatus.ANSWERED
    with pytest.raises(DeadlineError, match="no answer deadline to extend"):
        await deadlines.extend(
            session, ticket, "理由", date(2026, 11, 30), local(2026, 10, 9).astimezone(UTC)
        )


async def test_deadlines_fall_at_the_end_of_the_day_in_the_stations_time_zone(
    session: AsyncSession, directory_loaded, clock: FrozenClock
):
    desk = TicketDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "UTC")
    ticket = await submit(session, desk, clock, datetime(2026, 9, 30, 20, 0, tzinfo=UTC))
    # 30 September in UTC (already 1 October in Beijing): 8 and 9 October are the two days.
    assert ticket.acknowledge_due == datetime(2026, 10, 9, 23, 59, 59, tzinfo=UTC)


async def test_a_closure_in_the_directory_moves_the_deadlines(
    session: AsyncSession, desk: TicketDesk, clock: FrozenClock
):
    text = DEMO_DIRECTORY.read_text(encoding="utf-8")
    text += "  - {day: 2026-10-08, workday: false, note: 联络站设备检修闭站}\n"
    await load_directory(session, parse_directory(text))
    ticket = await submit(session, desk, clock, local(2026, 9, 29))
    assert ticket.acknowledge_due == end_of(2026, 10, 9)  # not the 8th
    assert ticket.answer_due == end_of(2026, 10, 27)  # a day later than without the closure
