"""Updates that reached the bot are recorded before Telegram is told they arrived, processed
from the record, retried when a handler fails, kept as failed after the last attempt, and
processed at the next start when the process stopped first."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import handlers.middlewares.identity as identity
from bot.clock import FrozenClock
from bot.settings import InboundSettings
from handlers.middlewares.transaction import Transaction, run_follow_ups
from storage.db import open_database
from storage.models import InboundStatus, InboundUpdate, Resident
from storage.queries.inbound import prune_processed, record_updates, take_interrupted
from tests.support.harness import Harness

APOLOGY = "抱歉，系统暂时出现问题，请稍后再试。"


def update_of(harness: Harness, message: dict[str, Any]) -> dict[str, Any]:
    """The update that brought the resident's message to the bot."""
    return next(
        u
        for u in harness.fake.updates()
        if u.get("message", {}).get("message_id") == message["message_id"]
        and u["message"]["chat"]["id"] == message["chat"]["id"]
    )


async def record_of(harness: Harness, update_id: int) -> InboundUpdate | None:
    async with harness.app.sessionmaker() as session:
        return await session.get(InboundUpdate, (harness.app.bot.id, update_id))


async def settled(harness: Harness, update_id: int) -> InboundUpdate:
    """The update's record once it is done or failed (an answer may come before the commit)."""
    async with asyncio.timeout(10):
        while True:
            record = await record_of(harness, update_id)
            if record is not None and record.status != InboundStatus.PENDING:
                return record
            await asyncio.sleep(0.02)


async def test_an_update_recorded_when_the_bot_stopped_is_processed_when_it_starts(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
):
    fake, inbound = harness.fake, harness.app.inbound
    resident = fake.user(user_id=5201, first_name="小红", language_code="zh-hans")
    # The process dies between recording the update and processing it.
    monkeypatch.setattr(inbound, "_start", lambda update: None)
    update_id = update_of(harness, await resident.send_text("/start"))["update_id"]
    await fake.wait_for(lambda: fake.pending_updates() == [])  # confirmed to Telegram
    record = await record_of(harness, update_id)
    assert record is not None and record.status == InboundStatus.PENDING
    assert fake.bot_messages(resident.id) == []

    monkeypatch.undo()
    assert await inbound.resume() == 1  # what a start does first
    await harness.bot_says(resident.id, "请选择语言")
    record = await settled(harness, update_id)
    assert record.status == InboundStatus.DONE
    assert record.payload["message"]["text"] == "/start"
    assert record.attempts == 2  # the interruption counts as one


async def test_a_batch_that_cannot_be_recorded_is_not_confirmed_and_comes_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
):
    fake, inbound = harness.fake, harness.app.inbound
    resident = fake.user(user_id=5202, first_name="小红", language_code="zh-hans")
    receive = inbound.receive
    refused: list[list[int]] = []

    async def database_away_once(updates: list[Update]) -> None:
        if updates and not refused:
            refused.append([update.update_id for update in updates])
            assert fake.pending_updates() != []  # not confirmed yet
            raise ConnectionError("database went away")
        await receive(updates)

    monkeypatch.setattr(inbound, "receive", database_away_once)
    update_id = update_of(harness, await resident.send_text("/start"))["update_id"]
    await harness.bot_says(resident.id, "请选择语言", timeout=15)
    assert refused == [[update_id]]
    await fake.wait_for(lambda: fake.pending_updates() == [])  # confirmed once recorded


async def test_a_handler_that_fails_is_tried_again_and_the_resident_never_sees_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
):
    fake = harness.fake
    resident = fake.user(user_id=5203, first_name="小红", language_code="zh-hans")
    register = identity.register_resident
    failures = ["deadlock detected", "connection reset"]

    async def flaky(*args: Any, **kwargs: Any) -> Resident:
        if failures:
            raise RuntimeError(failures.pop(0))
        return await register(*args, **kwargs)

    monkeypatch.setattr(identity, "register_resident", flaky)
    update_id = update_of(harness, await resident.send_text("/start"))["update_id"]
    await harness.bot_says(resident.id, "请选择语言")
    assert not any(APOLOGY in m.get("text", "") for m in fake.bot_messages(resident.id))
    record = await settled(harness, update_id)
    assert record.status == InboundStatus.DONE
    assert record.attempts == 3
    assert record.last_error == "RuntimeError: connection reset"  # the last failure, kept
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1


async def test_an_update_that_always_fails_is_kept_as_failed_with_its_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
):
    fake = harness.fake
    resident = fake.user(user_id=5204, first_name="小红", language_code="zh-hans")
    calls: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> Resident:
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(identity, "register_resident", broken)
    update_id = update_of(harness, await resident.send_text("/start"))["update_id"]
    await harness.bot_says(resident.id, APOLOGY)
    attempts = harness.app.settings.inbound.inbound_max_attempts
    assert len(calls) == attempts
    assert len(fake.bot_messages(resident.id)) == 1  # one apology, after the last attempt
    record = await settled(harness, update_id)
    assert record.status == InboundStatus.FAILED
    assert record.attempts == attempts
    assert record.last_error == "RuntimeError: database went away"
    assert record.payload["message"]["from"]["id"] == resident.id

    # Redelivered, a failed update is not handed out again: it waits for staff.
    monkeypatch.undo()
    fake.redeliver(update_id)
    await resident.send_text("/help")
    await harness.bot_says(resident.id, "/area")
    assert len(calls) == attempts


async def test_one_persons_updates_are_handled_one_at_a_time_in_the_order_they_came(
    harness: Harness,
):
    fake, app = harness.fake, harness.app
    resident = fake.user(user_id=5205, first_name="小红", language_code="zh-hans")
    handled: list[str] = []

    async def slow_first(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        handled.append(f"{event.text} in")
        if event.text == "/help 0":
            await asyncio.sleep(0.3)  # the others arrive meanwhile, and must wait
        result = await handler(event, data)
        handled.append(f"{event.text} out")
        return result

    app.dispatcher.message.outer_middleware(slow_first)
    await fake.wait_for(lambda: any(r.method == "getUpdates" for r in fake.requests))
    await app.inbound.stop()  # nothing is fetched while the resident types
    updates = [update_of(harness, await resident.send_text(f"/help {n}")) for n in range(4)]
    async with app.sessionmaker.begin() as session:
        await record_updates(
            session, app.bot.id, [(u["update_id"], u) for u in updates], app.clock.now()
        )
    await app.inbound.resume()
    async with asyncio.timeout(10):
        while len(handled) < 8:
            await asyncio.sleep(0.02)
    assert handled == [f"/help {n} {step}" for n in range(4) for step in ("in", "out")]


async def test_processed_updates_are_forgotten_after_the_safe_period_failed_ones_kept(
    session: AsyncSession, clock: FrozenClock
):
    now = clock.now()
    await record_updates(session, 1, [(n, {"update_id": n}) for n in (1, 2, 3, 4)], now)
    kept = {1: ("done", 8), 2: ("done", 6), 3: ("failed", 8), 4: ("pending", None)}
    for update_id, (status, days_ago) in kept.items():
        record = await session.get(InboundUpdate, (1, update_id))
        assert record is not None
        record.status = InboundStatus(status)
        record.processed_at = None if days_ago is None else now - timedelta(days=days_ago)
    await session.flush()
    assert await prune_processed(session, now - timedelta(days=7)) == 1
    left = await session.scalars(select(InboundUpdate.update_id).order_by(InboundUpdate.update_id))
    assert list(left) == [2, 3, 4]
    await session.commit()


async def test_an_update_interrupted_as_often_as_it_may_be_attempted_ends_failed(
    session: AsyncSession, clock: FrozenClock
):
    await record_updates(session, 1, [(7, {"update_id": 7}), (8, {"update_id": 8})], clock.now())
    for _ in range(2):
        assert [r.update_id for r in await take_interrupted(session, 1, max_attempts=3)] == [7, 8]
    assert await take_interrupted(session, 1, max_attempts=3) == []
    failed = await session.scalars(
        select(InboundUpdate).where(InboundUpdate.status == InboundStatus.FAILED)
    )
    assert [(r.update_id, r.attempts) for r in failed] == [(7, 3), (8, 3)]
    await session.commit()


async def test_the_transaction_commits_and_returns_its_connection_before_follow_ups(
    database_url: str, clock: FrozenClock
):
    seen: dict[str, Any] = {}
    async with open_database(database_url) as sessions:
        engine = sessions.kw["bind"]
        middleware = Transaction(sessions, clock, lambda: None, InboundSettings())

        async def follow_up() -> None:
            seen["checked out"] = engine.pool.checkedout()
            async with sessions() as other:
                seen["committed"] = await other.scalar(
                    select(Resident.display_name).where(Resident.id == 1)
                )

        async def handler(event: Update, data: dict[str, Any]) -> str:
            data["session"].add(
                Resident(id=1, display_name="李小红", locale="zh_Hans", created_at=clock.now())
            )
            data["after_commit"](follow_up)
            return "handled"

        data = {"bot": SimpleNamespace(id=1)}
        assert await middleware(handler, Update(update_id=1), data) == "handled"
        assert seen == {"checked out": 0, "committed": "李小红"}
        # Fed again (a webhook's retry, say), it is skipped.
        assert await middleware(handler, Update(update_id=1), dict(data)) is UNHANDLED


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite has one writer at a time anyway
async def test_updates_leave_connections_for_recording_the_next_batch(
    database_url: str, clock: FrozenClock
):
    """A burst of updates holds at most `at_once` connections (the application gives them
    the pool less four), so recording the next batch and the sender never queue behind it
    (found by bench/updates.py: arrival to record took a second under a burst)."""
    async with open_database(database_url) as sessions:
        middleware = Transaction(sessions, clock, lambda: None, InboundSettings(), at_once=2)
        inside, most = 0, 0

        async def handler(event: Update, data: dict[str, Any]) -> str:
            nonlocal inside, most
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.05)  # a handler at work, its connection in hand
            inside -= 1
            return "handled"

        data = {"bot": SimpleNamespace(id=1)}
        handled = await asyncio.gather(
            *(middleware(handler, Update(update_id=n), dict(data)) for n in range(1, 7))
        )
        assert handled == ["handled"] * 6
        assert most == 2


async def test_every_follow_up_runs_and_the_first_failure_is_raised():
    said: list[str] = []

    async def fails(what: str) -> None:
        said.append(what)
        raise RuntimeError(what)

    async def says(what: str) -> None:
        said.append(what)

    with pytest.raises(RuntimeError, match="first"):
        await run_follow_ups(
            [lambda: fails("first"), lambda: says("second"), lambda: fails("third")]
        )
    assert said == ["first", "second", "third"]
