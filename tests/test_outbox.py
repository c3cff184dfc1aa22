"""The sender delivers what is due, in order per chat, retries what can be retried, and keeps
what cannot be delivered as failed with its reason: nothing is dropped silently."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.delivery.outbox import enqueue
from bot.delivery.sender import MAX_ATTEMPTS, RetryLater, Sender, Undeliverable
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, OutboxStatus


class ScriptedChannel:
    """Delivers, or raises what the test scripted for a given text."""

    def __init__(self) -> None:
        self.delivered: list[tuple[int, str]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def deliver(self, message: OutboxMessage) -> int:
        text = message.payload["text"]
        if self.failures.get(text):
            raise self.failures[text].pop(0)
        self.delivered.append((message.chat_id, text))
        return 1000 + len(self.delivered)


@pytest.fixture
async def sender(database_url: str, clock: FrozenClock):
    engine = create_engine(database_url)
    channel = ScriptedChannel()
    yield Sender(create_sessionmaker(engine), channel, clock)
    await engine.dispose()


async def queue(sender: Sender, *messages: tuple[int, str]) -> None:
    async with sender.sessionmaker() as session:
        for chat_id, text in messages:
            enqueue(session, chat_id=chat_id, text=text, purpose="test", now=sender.clock.now())
        await session.commit()


async def rows(sender: Sender) -> list[OutboxMessage]:
    async with sender.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_due_messages_are_sent_once_in_order(sender: Sender):
    await queue(sender, (1, "first"), (2, "other chat"), (1, "second"))
    assert await sender.deliver_due() == 3
    assert await sender.deliver_due() == 0
    assert sender.channel.delivered == [(1, "first"), (2, "other chat"), (1, "second")]
    assert [(r.status, r.sent_message_id, r.attempts) for r in await rows(sender)] == [
        (OutboxStatus.SENT, 1001, 1),
        (OutboxStatus.SENT, 1002, 1),
        (OutboxStatus.SENT, 1003, 1),
    ]


async def test_retry_after_is_honoured_and_the_chat_keeps_its_order(
    sender: Sender, clock: FrozenClock
):
    sender.channel.failures["first"] = [RetryLater("Too Many Requests: retry after 7", 7)]
    await queue(sender, (1, "first"), (1, "second"), (2, "elsewhere"))
    await sender.deliver_due()
    assert sender.channel.delivered == [(2, "elsewhere")]
    first, second, _ = await rows(sender)
    assert first.status == second.status == OutboxStatus.PENDING
    assert first.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert first.last_error == "Too Many Requests: retry after 7"
    clock.advance(timedelta(seconds=6))
    assert await sender.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    await sender.deliver_due()
    assert sender.channel.delivered == [(2, "elsewhere"), (1, "first"), (1, "second")]


async def test_an_undeliverable_message_is_kept_as_failed_with_its_reason(sender: Sender):
    sender.channel.failures["hello"] = [Undeliverable("Forbidden: bot was blocked by the user")]
    await queue(sender, (5, "hello"))
    await sender.deliver_due()
    (row,) = await rows(sender)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "Forbidden: bot was blocked by the user"


async def test_transient_failures_back_off_and_finally_fail_loudly(
    sender: Sender, clock: FrozenClock
):
    sender.channel.failures["flaky"] = [RetryLater("Bad Gateway")] * MAX_ATTEMPTS
    await queue(sender, (9, "flaky"))
    delays = []
    for _ in range(MAX_ATTEMPTS):
        await sender.deliver_due()
        (row,) = await rows(sender)
        if row.status == OutboxStatus.FAILED:
            break
        delays.append(row.next_attempt_at - clock.now())
        clock.advance(row.next_attempt_at - clock.now())
    assert delays[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == f"gave up after {MAX_ATTEMPTS} attempts: Bad Gateway"


async def test_a_leased_message_is_not_leased_again_by_a_second_sender(sender: Sender):
    await queue(sender, (1, "only once"))
    leased = await sender._lease_due()
    assert len(leased) == 1
    assert await sender._lease_due() == []


async def test_a_stopped_sender_returns_after_the_work_in_hand(sender: Sender):
    await queue(sender, (1, "before stopping"))
    running = asyncio.create_task(sender.run())
    async with asyncio.timeout(10):
        while not sender.channel.delivered:
            await asyncio.sleep(0.01)
    sender.stop()
    async with asyncio.timeout(10):
        await running  # returns on its own: not cancelled
    await queue(sender, (1, "after stopping"))
    assert sender.channel.delivered == [(1, "before stopping")]
    assert [r.status for r in await rows(sender)] == [OutboxStatus.SENT, OutboxStatus.PENDING]
