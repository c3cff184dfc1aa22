"""The state machine: which step may follow which, and who may take it; the rules the desk
keeps (ratings, reopens, reroutes); and, with Hypothesis, random sequences of steps that must
never break the loop's invariants."""

import asyncio
import contextlib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.core.directory import load_directory, read_directory
from bot.core.tickets import TicketDesk
from bot.core.timeline import SYSTEM, Who
from bot.core.workflow import MAX_REOPENS, Step, TransitionError, allowed_steps, check
from bot.settings import PACKAGED_LOCALES_DIR
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import (
    Actor,
    Deputy,
    DeputyGroup,
    Escalation,
    Rating,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tests.support.desk import history, resident_in
from tests.support.harness import DEMO_DIRECTORY, START

S, A = TicketStatus, Actor
DEPUTY, STAFF = Who(A.DEPUTY, 1), Who(A.STAFF, 1)

# (from, step, who, allowed) — a readable excerpt of the table, both ways.
CASES = [
    (S.AWAITING_TRIAGE, Step.ASSIGN, A.STAFF, True),
    (S.AWAITING_TRIAGE, Step.ASSIGN, A.DEPUTY, False),
    (S.AWAITING_TRIAGE, Step.ACCEPT, A.DEPUTY, False),
    (S.ASSIGNED, Step.ACCEPT, A.DEPUTY, True),
    (S.ASSIGNED, Step.ACCEPT, A.STAFF, False),
    (S.ASSIGNED, Step.REROUTE, A.DEPUTY, True),
    (S.ASSIGNED, Step.ANSWER, A.DEPUTY, True),
    (S.ASSIGNED, Step.CLOSE, A.DEPUTY, False),  # a ticket is concluded only once answered
    (S.ACCEPTED, Step.START, A.DEPUTY, True),
    (S.ACCEPTED, Step.FORWARD, A.DEPUTY, True),
    (S.IN_PROGRESS, Step.FORWARD, A.STAFF, True),
    (S.FORWARDED, Step.ANSWER, A.DEPUTY, True),
    (S.ANSWERED, Step.CLOSE, A.DEPUTY, True),
    (S.ANSWERED, Step.CLOSE, A.RESIDENT, False),
    (S.ANSWERED, Step.CLOSE_UNRESOLVABLE, A.STAFF, True),
    (S.CLOSED, Step.RATE, A.RESIDENT, True),
    (S.CLOSED, Step.RATE, A.DEPUTY, False),
    (S.ANSWERED, Step.RATE, A.RESIDENT, False),
    (S.RATED, Step.RATE, A.RESIDENT, False),
    (S.CLOSED, Step.REOPEN, A.SYSTEM, True),
    (S.CLOSED, Step.REOPEN, A.DEPUTY, False),
    (S.REOPENED, Step.ACCEPT, A.DEPUTY, True),
    (S.ASSIGNED, Step.MERGE, A.STAFF, True),
    (S.MERGED, Step.ANSWER, A.DEPUTY, False),
    (S.CLOSED, Step.ESCALATE, A.SYSTEM, True),
    (S.RATED, Step.ESCALATE, A.STAFF, False),
    (S.ESCALATED, Step.ASSIGN, A.STAFF, True),
]


@pytest.mark.parametrize(("status", "step", "actor", "allowed"), CASES)
def test_who_may_take_which_step_from_where(
    status: TicketStatus, step: Step, actor: Actor, allowed: bool
):
    if allowed:
        check(step, status, actor)
    else:
        with pytest.raises(TransitionError):
            check(step, status, actor)


def test_a_finished_ticket_offers_no_step_to_anyone():
    for actor in Actor:
        assert allowed_steps(S.RATED, actor) in ([], [Step.REOPEN])
        assert allowed_steps(S.MERGED, actor) == []


async def ticket_with_answer(
    session: AsyncSession, desk: TicketDesk
) -> tuple[Ticket, Deputy, Resident]:
    resident = await resident_in(session, desk, 5001, "jb-hd-hx")
    ticket = (await desk.submit_opinion(session, resident, "路灯坏了", "k")).ticket
    wang = await session.scalar(select(Deputy).where(Deputy.code == "d-wang-jianguo"))
    assert wang is not None
    await desk.accept(session, ticket, wang)
    await desk.reply_from_deputy(session, ticket, wang, "本周修好。")
    return ticket, wang, resident


async def test_a_refused_step_changes_nothing(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5001, "jb-hd-hx")
    ticket = (await desk.submit_opinion(session, resident, "路灯坏了", "k")).ticket
    before = (ticket.status, len(await history(session, ticket)))
    with pytest.raises(TransitionError, match="cannot close"):
        await desk.close(session, ticket, STAFF)
    with pytest.raises(TransitionError, match="needs the reason"):
        await desk.close_unresolvable(session, ticket, STAFF, "  ")
    assert (ticket.status, len(await history(session, ticket))) == before


async def test_a_rating_is_given_once_by_the_resident_of_a_concluded_ticket(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    ticket, wang, resident = await ticket_with_answer(session, desk)
    with pytest.raises(TransitionError):
        await desk.rate(session, ticket, resident, Rating.SATISFIED)  # not concluded yet
    await desk.close(session, ticket, Who(A.DEPUTY, wang.id))
    someone_else = await resident_in(session, desk, 5002, "jb-hd-hx")
    with pytest.raises(TransitionError, match="only the resident"):
        await desk.rate(session, ticket, someone_else, Rating.SATISFIED)
    await desk.rate(session, ticket, resident, Rating.FAIRLY_SATISFIED)
    assert (ticket.status, ticket.rating) == (S.RATED, Rating.FAIRLY_SATISFIED)
    with pytest.raises(TransitionError, match="rated already"):
        await desk.rate(session, ticket, resident, Rating.SATISFIED)


async def test_unsatisfied_reopens_twice_then_goes_to_staff(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    ticket, wang, resident = await ticket_with_answer(session, desk)
    for round_ in range(MAX_REOPENS + 1):
        await desk.close(session, ticket, Who(A.DEPUTY, wang.id))
        await desk.rate(session, ticket, resident, Rating.UNSATISFIED)
        if round_ < MAX_REOPENS:
            assert (ticket.status, ticket.reopen_count) == (S.REOPENED, round_ + 1)
            await desk.reply_from_deputy(session, ticket, wang, f"第{round_ + 2}次答复。")
    assert (ticket.status, ticket.escalation) == (S.ESCALATED, Escalation.STAFF)
    assert ticket.reopen_count == MAX_REOPENS


async def test_not_ours_passes_the_ticket_on_and_the_third_reroute_goes_to_staff(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5001, "jb-hd-hx")
    ticket = (await desk.submit_opinion(session, resident, "路灯坏了", "k")).ticket

    async def group(code: str) -> DeputyGroup:
        found = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == code))
        assert found is not None
        return found

    moved = await desk.reroute(session, ticket, DEPUTY, reason="非本组事项")
    assert moved is not None and moved.code == "g-hd-2"  # the next group by the rules
    moved = await desk.reroute(session, ticket, STAFF, to=await group("g-wx"))
    assert moved is not None and moved.code == "g-wx"  # staff's choice is kept
    assert await desk.reroute(session, ticket, DEPUTY, reason="非本组事项") is None
    assert (ticket.status, ticket.deputy_group_id, ticket.reroute_count) == (
        S.AWAITING_TRIAGE,
        None,
        3,
    )
    await desk.assign(session, ticket, await group("g-nh"), STAFF)  # staff decide
    assert ticket.status == S.ASSIGNED


async def test_not_ours_with_no_other_group_goes_to_staff_triage(
    session: AsyncSession, directory_loaded: None, desk: TicketDesk
):
    resident = await resident_in(session, desk, 5001, "qs-bs-sk")
    ticket = (await desk.submit_opinion(session, resident, "村道坑洼", "k")).ticket
    assert await desk.reroute(session, ticket, DEPUTY) is None
    assert ticket.status == S.AWAITING_TRIAGE
    assert (await history(session, ticket))[-2:] == ["rerouted", "status_changed"]


# --- random sequences ----------------------------------------------------------------------

ACTIONS = st.sampled_from(
    [
        "accept",
        "start",
        "forward",
        "answer",
        "close",
        "unresolvable",
        "satisfied",
        "unsatisfied",
        "reroute",
        "merge",
        "escalate",
        "assign",
    ]
)


async def play(url: str, actions: list[str]) -> None:
    """Take the steps in order (refused ones are fine), checking the invariants after each."""
    clock = FrozenClock(START)
    desk = TicketDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")
    async with open_database(url) as sessions, sessions() as session:
        resident = await resident_in(session, desk, 5001, "jb-hd-hx")
        other = (await desk.submit_opinion(session, resident, "另一件", "other")).ticket
        ticket = (await desk.submit_opinion(session, resident, "路灯坏了", "k")).ticket
        wang = await session.scalar(select(Deputy).where(Deputy.code == "d-wang-jianguo"))
        g_hd_1 = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-1"))
        assert wang is not None and g_hd_1 is not None
        steps = {
            "accept": lambda: desk.accept(session, ticket, wang),
            "start": lambda: desk.start(session, ticket, wang),
            "forward": lambda: desk.forward(session, ticket, DEPUTY, "区城管局"),
            "answer": lambda: desk.reply_from_deputy(session, ticket, wang, "答复"),
            "close": lambda: desk.close(session, ticket, DEPUTY),
            "unresolvable": lambda: desk.close_unresolvable(session, ticket, STAFF, "资金未落实"),
            "satisfied": lambda: desk.rate(session, ticket, resident, Rating.SATISFIED),
            "unsatisfied": lambda: desk.rate(session, ticket, resident, Rating.UNSATISFIED),
            "reroute": lambda: desk.reroute(session, ticket, DEPUTY),
            "merge": lambda: desk.merge(session, ticket, other, STAFF),
            "escalate": lambda: desk.escalate(session, ticket, SYSTEM, Escalation.STAFF),
            "assign": lambda: desk.assign(session, ticket, g_hd_1, STAFF),
        }
        for action in actions:
            async with session.begin_nested():
                with contextlib.suppress(TransitionError):
                    await steps[action]()
            await invariants_hold(session, ticket)


async def invariants_hold(session: AsyncSession, ticket: Ticket) -> None:
    events = list(
        await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )
    answered = any(e.action == "replied" for e in events) or ticket.close_reason
    if ticket.status in (S.CLOSED, S.UNRESOLVABLE, S.RATED):
        assert answered, "a concluded ticket has an answer"
    if ticket.status == S.RATED:
        assert ticket.rating in (Rating.SATISFIED, Rating.FAIRLY_SATISFIED)
        assert ticket.closed_at is not None, "a rated ticket was concluded"
    assert ticket.reopen_count <= MAX_REOPENS
    # The timeline replays to the current state.
    replayed = S.AWAITING_TRIAGE
    for event in events:
        if event.action == "status_changed" and "to" in event.detail:
            assert event.detail["from"] == replayed
            replayed = S(event.detail["to"])
    assert replayed == ticket.status


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("loop") / "loaded.sqlite3"
    shutil.copy(sqlite_template, path)

    async def load() -> None:
        async with (
            open_database(f"sqlite+aiosqlite:///{path}") as sessions,
            sessions.begin() as session,
        ):
            await load_directory(session, read_directory(DEMO_DIRECTORY))

    asyncio.run(load())
    return path


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(ACTIONS, max_size=25))
def test_random_steps_never_break_the_loop(
    actions: list[str], loaded_template: Path, tmp_path: Path
):
    path = tmp_path / "loop.sqlite3"
    shutil.copy(loaded_template, path)
    asyncio.run(play(f"sqlite+aiosqlite:///{path}", actions))
