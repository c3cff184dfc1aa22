"""One person's updates are handled one at a time, in the order they came; the lock several
processes share, in Redis, lapses seconds after a killed holder, never a minute."""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from bot.settings import PROJECT_ROOT
from bot.telegram.isolation import KeyedLock, OrderedEventIsolation, RenewedRedisIsolation


async def test_holders_of_one_key_take_turns_in_arrival_order_and_the_lock_is_forgotten():
    locks = KeyedLock()
    order: list[str] = []

    async def work(key: str, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(work("a", "first"), work("a", "second"), work("b", "other"))
    assert order.index("first out") < order.index("second in")
    assert order.index("other in") < order.index("first out")  # another key does not wait
    assert len(locks) == 0


class RecordingIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self.events: list[str] = []

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        self.events.append(f"lock {key.chat_id}")
        yield
        self.events.append(f"unlock {key.chat_id}")

    async def close(self) -> None:
        self.events.append("close")


async def test_ordered_isolation_also_holds_the_shared_lock_of_several_processes():
    shared = RecordingIsolation()
    isolation = OrderedEventIsolation(shared=shared)
    async with isolation.lock(StorageKey(bot_id=1, chat_id=2, user_id=2)):
        shared.events.append("handling")
    await isolation.close()
    assert shared.events == ["lock 2", "handling", "unlock 2", "close"]


HOLDER = """
import asyncio, sys
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from bot.telegram.isolation import RenewedRedisIsolation

async def hold() -> None:
    url, prefix, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    keys = DefaultKeyBuilder(prefix=prefix)
    isolation = RenewedRedisIsolation(Redis.from_url(url), keys, seconds)
    async with isolation.lock(StorageKey(bot_id=1, chat_id=2, user_id=2)):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(hold())
"""
KEY = StorageKey(bot_id=1, chat_id=2, user_id=2)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.parametrize("backend", ["postgres"])  # the real Redis that runs beside PostgreSQL
async def test_a_lock_whose_holder_was_killed_lapses_within_its_seconds(
    redis: Redis, redis_url: str, redis_prefix: str
):
    seconds = 1.0
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        redis_url,
        redis_prefix,
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
        cwd=PROJECT_ROOT,
    )
    assert holder.stdout is not None
    assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
    name = DefaultKeyBuilder(prefix=redis_prefix).build(KEY, "lock")
    await asyncio.sleep(seconds * 2)  # longer than the lock lasts: renewed, still held
    assert await redis.exists(name)
    holder.kill()  # SIGKILL: no release, no goodbye
    await holder.wait()

    assert 0 < await redis.pttl(name) <= seconds * 1000  # not aiogram's minute
    isolation = RenewedRedisIsolation(redis, DefaultKeyBuilder(prefix=redis_prefix), seconds)
    async with asyncio.timeout(seconds + 10), isolation.lock(KEY):
        assert await redis.exists(name)
    assert not await redis.exists(name)  # released


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_lock_held_longer_than_its_seconds_is_renewed_and_others_wait(
    redis: Redis, redis_prefix: str
):
    keys = DefaultKeyBuilder(prefix=redis_prefix)
    isolation = RenewedRedisIsolation(redis, keys, seconds=0.3)
    order: list[str] = []

    async def handle(name: str, work: float) -> None:
        async with isolation.lock(KEY):
            order.append(f"{name} in")
            await asyncio.sleep(work)
            order.append(f"{name} out")

    first = asyncio.create_task(handle("slow", 1.2))  # four times the lock's seconds
    await asyncio.sleep(0.05)
    await asyncio.gather(first, handle("next", 0))
    assert order == ["slow in", "slow out", "next in", "next out"]


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_holder_is_not_kept_waiting_by_a_renewal_that_swallowed_its_cancel(
    redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
):
    """Seen under load (bench/updates.py): a cancel that lands as a renewal's Redis command
    completes is lost in the client (asyncio.wait_for before 3.12); the holder must still
    get out, and the lock must be free for the next update."""
    renewing = asyncio.Event()
    reacquire = Lock.reacquire

    async def swallowing(self: Lock) -> bool:
        renewing.set()
        with suppress(asyncio.CancelledError):  # as the client did: the cancel is gone
            await asyncio.sleep(0.2)
        return await reacquire(self)

    monkeypatch.setattr(Lock, "reacquire", swallowing)
    isolation = RenewedRedisIsolation(redis, DefaultKeyBuilder(prefix=redis_prefix), 0.3)

    async def two_updates() -> None:
        async with isolation.lock(KEY):
            await renewing.wait()  # the holder is done while a renewal is on its way
        async with isolation.lock(KEY):
            pass

    handled = asyncio.create_task(two_updates())
    done, _ = await asyncio.wait({handled}, timeout=5)
    assert handled in done, "the holder still waits for its lock's renewal to end"
