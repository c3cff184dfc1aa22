"""Several senders, as several processes would run them (each with its own engine): a shared
backlog is delivered exactly once and in order per recipient; a commit in one wakes the
sender of another; a dead sender's rows are taken over once its short lease runs out; and
with Telegram's limits enforced (scaled down), a backlog meets no 429 at all, and a message
that arrives late keeps the next ones, of any sender, from crowding in behind it, while a
full window makes the next one wait no longer than its oldest message needs."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, select

from bot.clock import FrozenClock, SystemClock
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import Envelope, Sender
from bot.delivery.wakeup import OutboxWakeup
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.telegram.channel import TelegramChannel
from bot.telegram.limits import Limits, TelegramLimits, Window, send_slots
from storage.db import create_engine, create_sessionmaker
from storage.models import TELEGRAM, OutboxMessage, OutboxPurpose, OutboxStatus, RecipientKind
from storage.queries.contacts import set_address
from tests.support.harness import BOT_TOKEN

RESIDENTS = 40
GROUPS = 3


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot")
    for number in range(1, RESIDENTS + 1):
        fake.user(user_id=number, first_name=f"居民{number}")
    for number in range(1, GROUPS + 1):
        fake.group(-number, f"代表小组{number}")
    await fake.start()
    yield fake
    await fake.stop()


class Process:
    """What one sender process has of its own: an engine, a Bot API session, a sender."""

    def __init__(self, database_url: str, api_url: str, clock, limits=None, **sender) -> None:
        self.engine = create_engine(database_url)
        self.sessions = create_sessionmaker(self.engine)
        self.bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
        self.channel = TelegramChannel(self.bot, limits)
        self.sender = Sender(self.sessions, self.channel, clock, **sender)
        self.wakeup = OutboxWakeup(self.engine, self.sender.wake)
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self.sender.run()),
            asyncio.create_task(self.wakeup.run()),
        ]

    async def close(self) -> None:
        self.sender.stop()
        self.wakeup.stop()
        await asyncio.gather(*self.tasks)
        await self.bot.session.close()
        await self.engine.dispose()
        if self.channel.limits is not None:
            await self.channel.limits.close()


@pytest.fixture
async def processes(database_url: str, fake: FakeTelegram) -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


def url_of(fake: FakeTelegram) -> str:
    assert fake._runner is not None
    (site,) = fake._runner.sites
    return site.name


async def queue_backlog(process: Process, per_resident: int, per_group: int) -> list[str]:
    """Rows to every resident and group, interleaved; returns their texts in queued order."""
    texts = []
    async with process.sessions() as session:
        for number in range(1, RESIDENTS + 1):
            await set_address(session, RecipientKind.RESIDENT, number, TELEGRAM, str(number))
        for number in range(1, GROUPS + 1):
            await set_address(session, RecipientKind.DEPUTY_GROUP, number, TELEGRAM, str(-number))
        for round_ in range(max(per_resident, per_group)):
            recipients = [Recipient.resident(n) for n in range(1, RESIDENTS + 1)][
                : RESIDENTS if round_ < per_resident else 0
            ] + [Recipient.deputy_group(n) for n in range(1, GROUPS + 1)][
                : GROUPS if round_ < per_group else 0
            ]
            for recipient in recipients:
                text = f"{recipient} 第{round_ + 1}条"
                texts.append(text)
                now = process.sender.clock.now()
                enqueue(session, recipient, OutboxPurpose.STATUS, Content(text), now)
        await session.commit()
    return texts


async def all_sent(process: Process) -> None:
    async with asyncio.timeout(60):
        while True:
            async with process.sessions() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != OutboxStatus.SENT)
                )
            if pending == 0:
                return
            await asyncio.sleep(0.05)


def received(fake: FakeTelegram) -> dict[int, list[str]]:
    chats = [*range(1, RESIDENTS + 1), *(-n for n in range(1, GROUPS + 1))]
    return {chat: [m["text"] for m in fake.bot_messages(chat)] for chat in chats}


async def test_two_senders_on_one_postgresql_database_send_every_row_exactly_once(
    backend: str, database_url: str, fake: FakeTelegram
):
    if backend != "postgres":
        pytest.skip("several sender processes share a PostgreSQL database")
    url = url_of(fake)
    first = Process(database_url, url, SystemClock(), poll_seconds=0.05, concurrency=8)
    second = Process(database_url, url, SystemClock(), poll_seconds=0.05, concurrency=8)
    texts = await queue_backlog(first, per_resident=4, per_group=4)
    first.start()
    second.start()
    try:
        await all_sent(first)
    finally:
        await first.close()
        await second.close()
    sends = [r for r in fake.requests if r.method == "sendMessage"]
    assert len(sends) == len(texts) and all(r.status == 200 for r in sends)
    for chat, shown in received(fake).items():
        # Every row once, and each recipient's in the order queued.
        assert shown == [t for t in texts if t.startswith(f"{chat_recipient(chat)} ")]
    async with first.sessions() as session:
        attempts = await session.scalars(select(OutboxMessage.attempts))
        assert set(attempts) == {1}


def chat_recipient(chat: int) -> Recipient:
    return Recipient.resident(chat) if chat > 0 else Recipient.deputy_group(-chat)


async def test_a_commit_in_another_process_wakes_the_sender_at_once(
    backend: str, database_url: str, fake: FakeTelegram
):
    if backend != "postgres":
        pytest.skip("only PostgreSQL carries a wake-up between processes")
    url = url_of(fake)
    # It would look by itself only after an hour: only the notification can wake it.
    sending = Process(database_url, url, SystemClock(), poll_seconds=3600)
    writing = Process(database_url, url, SystemClock())
    sending.start()
    async with asyncio.timeout(10):
        await sending.wakeup.listening.wait()
    try:
        async with writing.sessions() as session:
            await set_address(session, RecipientKind.RESIDENT, 1, TELEGRAM, "1")
            enqueue(
                session,
                Recipient.resident(1),
                OutboxPurpose.STATUS,
                Content("另一个进程写入"),
                writing.sender.clock.now(),
            )
            await session.commit()
        writing.wakeup.publish()
        await fake.wait_for(lambda: fake.bot_messages(1) != [], timeout=10)
    finally:
        await sending.close()
        await writing.close()


async def rounds(process: Process) -> int:
    taken = 0
    while delivered := await process.sender.deliver_due():
        taken += delivered
    return taken


async def test_a_dead_senders_row_is_taken_over_when_its_short_lease_runs_out(
    database_url: str, fake: FakeTelegram, clock: FrozenClock
):
    url = url_of(fake)
    dead = Process(database_url, url, clock, lease=timedelta(seconds=20))
    alive = Process(database_url, url, clock)
    try:
        await queue_backlog(dead, per_resident=1, per_group=0)
        taken = await dead.sender._claim(5)  # leased, then the process is killed
        assert len(taken) == 5
        assert await rounds(alive) == RESIDENTS - 5
        clock.advance(timedelta(seconds=19))
        assert await rounds(alive) == 0
        clock.advance(timedelta(seconds=1))
        assert await rounds(alive) == 5
        assert all(len(shown) == 1 for shown in received(fake).values() if shown)
    finally:
        await dead.close()
        await alive.close()


async def test_with_telegrams_limits_enforced_a_backlog_meets_no_429(
    database_url: str, redis_url: str | None, redis_prefix: str, fake: FakeTelegram
):
    """Scaled: 40 a second in all, 1 a second to a person, 4 per 2 s to a group."""
    flood = fake.enforce_limits(FakeLimits(overall=(40, 1.0), group=(4, 2.0)))
    limits = TelegramLimits(
        Limits("40/second", "1/second", "4 per 2 seconds"),
        send_slots(redis_url, key_prefix=f"{redis_prefix}:limits"),
    )
    process = Process(
        database_url, url_of(fake), SystemClock(), limits, poll_seconds=0.05, concurrency=16
    )
    texts = await queue_backlog(process, per_resident=2, per_group=5)
    process.start()
    try:
        await all_sent(process)
    finally:
        await process.close()
    assert flood.refusals == []
    assert sum(len(shown) for shown in received(fake).values()) == len(texts)
    # Within any window as Telegram counts it (less the fake's tolerance), never over.
    slack = flood.limits.slack
    assert max(flood.busiest(-n, 2.0 - slack) for n in range(1, GROUPS + 1)) <= 4
    assert max(flood.busiest(n, 1.0 - slack) for n in range(1, RESIDENTS + 1)) == 1


async def test_a_send_longer_than_the_lease_keeps_its_row_from_other_senders(
    database_url: str, fake: FakeTelegram
):
    """Telegram takes 6 s; the lease is 3 s: the sender renews it while it waits, so a
    second sender looking meanwhile never takes the row and sends it again. (Real time: a
    lease short enough for a test is one a loaded machine can outrun, so it is not shorter.)"""
    url = url_of(fake)
    slow = Process(database_url, url, SystemClock(), lease=timedelta(seconds=3))
    slow.channel.send_timeout = 10
    other = Process(database_url, url, SystemClock())
    fake.slow_down("sendMessage", 6, chat_id=1, times=1)
    try:
        async with slow.sessions() as session:
            await set_address(session, RecipientKind.RESIDENT, 1, TELEGRAM, "1")
            enqueue(
                session,
                Recipient.resident(1),
                OutboxPurpose.STATUS,
                Content("慢慢送达"),
                slow.sender.clock.now(),
            )
            await session.commit()
        sending = asyncio.create_task(slow.sender.deliver_due())
        taken_by_other = 0
        while not sending.done():
            taken_by_other += await other.sender.deliver_due()
            await asyncio.sleep(0.1)
        assert await sending == 1
        assert taken_by_other == 0
        assert [m["text"] for m in fake.bot_messages(1)] == ["慢慢送达"]
    finally:
        await slow.close()
        await other.close()


def busiest(times: list[float], window: float) -> int:
    """The most arrivals within any `window` seconds."""
    times = sorted(times)
    return max(
        (sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times)),
        default=0,
    )


async def test_a_late_arrival_keeps_its_slot_from_the_other_senders(
    redis_url: str | None, redis_prefix: str, fake: FakeTelegram
):
    """Scaled: 3 a second in all. Sender A's message to 居民1 takes 0.9 s to arrive; a second
    after A let it go, sender B has three messages for others. Counted when let go, B's three
    would arrive within the same second as A's late one; counted as Telegram counts them,
    B's third waits until A's message is a second old."""
    flood = fake.enforce_limits(FakeLimits(overall=(3, 1.0)))
    fake.slow_down("sendMessage", 0.9, chat_id=1, times=1)
    store = send_slots(redis_url, key_prefix=f"{redis_prefix}:limits")
    shared = Limits("3/second", "1/second", "20/minute")
    a_limits = TelegramLimits(shared, store)
    # Two processes share Redis; without it, the one process's senders share its memory.
    b_limits = TelegramLimits(
        shared, send_slots(redis_url, f"{redis_prefix}:limits") if redis_url else store
    )
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url_of(fake))))
    a, b = TelegramChannel(bot, a_limits), TelegramChannel(bot, b_limits)

    async def send(channel: TelegramChannel, chat: int, text: str) -> None:
        while (wait := await channel.ready(str(chat))) > 0:
            await asyncio.sleep(wait)
        await channel.deliver(Envelope(str(chat), Content(text)))

    try:
        late = asyncio.create_task(send(a, 1, "迟到的消息"))
        await asyncio.sleep(1.05)
        await asyncio.gather(*(send(b, chat, "随后的消息") for chat in (2, 3, 4)))
        await late
    finally:
        await bot.session.close()
        await a_limits.close()
        await b_limits.close()
    assert flood.refusals == []
    arrivals = [t for times in flood.accepted.values() for t in times]
    assert len(arrivals) == 4
    assert busiest(arrivals, 1.0) == 3


async def test_a_full_window_waits_only_until_its_oldest_message_is_a_window_old(
    redis_url: str | None, redis_prefix: str
):
    """Scaled: 3 a second in all. Three messages answered, then 0.4 s later a fourth asks:
    the first frees its slot a second after its answer, so the fourth waits about 0.6 s (not
    a whole window from now, which would leave the limit idle most of the time)."""
    slots = send_slots(redis_url, key_prefix=f"{redis_prefix}:limits")
    window = Window.of("3/second")
    try:
        for chat in (1, 2, 3):
            assert await slots.take(f"slot{chat}", [("overall", window)]) == [0]
            await slots.answered(f"slot{chat}", ["overall"])
        await asyncio.sleep(0.4)
        (wait,) = await slots.take("slot4", [("overall", window)])
    finally:
        await slots.close()
    assert 0 < wait < 0.65


async def test_messages_waiting_for_the_overall_limit_go_in_turn_each_woken_once(
    redis_url: str | None, redis_prefix: str
):
    """Scaled: 3 a second in all; nine messages to nine people at once. Three go now, the
    others wait in line: three a second later, three a second after that, in the order they
    asked; a freed slot wakes the first in line, not every waiting message, so each asks the
    limits' store about twice at most (once refused, once taken), not at every freed slot."""
    slots = send_slots(redis_url, key_prefix=f"{redis_prefix}:limits")
    asked = 0
    take = slots.take

    async def counted(slot: str, windows: list[tuple[str, Window]], *rest: float) -> list[float]:
        nonlocal asked
        asked += 1
        return await take(slot, windows, *rest)

    slots.take = counted  # type: ignore[method-assign]
    limits = TelegramLimits(Limits("3/second", "1/second", "20/minute"), slots)
    went: list[int] = []

    async def send(chat: int) -> None:
        assert await limits.wait(chat) == 0
        went.append(chat)
        await limits.sent(chat)

    try:
        started = asyncio.get_running_loop().time()
        async with asyncio.TaskGroup() as group:
            for chat in range(1, 10):
                group.create_task(send(chat))
                await asyncio.sleep(0)  # each asks in turn
        took = asyncio.get_running_loop().time() - started
    finally:
        await limits.close()
    assert went == list(range(1, 10))
    assert 2.0 <= took < 3.0
    assert asked <= 2 * 9
