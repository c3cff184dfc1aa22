"""One at a time per key: a resident's updates are handled in the order they came, so a tap
and the message typed right after it, or two parts of a draft, never race."""

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar

from aiogram.fsm.storage.base import BaseEventIsolation, KeyBuilder, StorageKey
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

# Set by the task that handles an update once its person's locks are held (see
# `Inbound.receive`): a webhook answers Telegram only then, so the person's next update,
# whichever process it reaches, waits behind this one.
TURN_TAKEN: ContextVar[asyncio.Event | None] = ContextVar("turn_taken", default=None)


class KeyedLock:
    """An asyncio lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class OrderedEventIsolation(BaseEventIsolation):
    """aiogram's per-user-in-chat isolation, first come first served within this process
    (a Redis lock alone lets a later update overtake an earlier one), then, when several
    processes share the work, their shared lock too."""

    def __init__(self, shared: BaseEventIsolation | None = None) -> None:
        self._local = KeyedLock()
        self._shared = shared

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        async with self._local.hold(key):
            if self._shared is None:
                _turn_taken()
                yield
                return
            async with self._shared.lock(key):
                _turn_taken()
                yield

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()


def _turn_taken() -> None:
    if (taken := TURN_TAKEN.get()) is not None:
        taken.set()


class RenewedRedisIsolation(BaseEventIsolation):
    """The lock several processes share, in Redis: it lapses `seconds` after it was last
    renewed, and its holder renews it every third of that while it works. A killed holder
    stops renewing, so the person is free again within `seconds` (aiogram's own Redis lock
    keeps them waiting a minute); a slow handler keeps its lock as long as it runs."""

    def __init__(self, redis: Redis, key_builder: KeyBuilder, seconds: float) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.seconds = seconds

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock = self.redis.lock(
            self.key_builder.build(key, "lock"), timeout=self.seconds, sleep=0.05
        )
        await lock.acquire()
        done = asyncio.Event()
        renewing = asyncio.create_task(self._renew(lock, done))
        try:
            yield
        finally:
            # The event, not only the cancel, ends the renewal: a cancel that lands as a
            # renewal's command completes can be swallowed on its way (asyncio.wait_for before
            # Python 3.12), and the holder would wait for the renewal for ever.
            done.set()
            renewing.cancel()
            with suppress(asyncio.CancelledError):
                await renewing
            try:
                await lock.release()
            except LockError:
                log.warning("the lock %s had lapsed before it was released", lock.name)

    async def _renew(self, lock: Lock, done: asyncio.Event) -> None:
        while not done.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.seconds / 3)
            if done.is_set():
                return
            try:
                await lock.reacquire()
            except (LockError, RedisError) as error:
                log.warning("could not renew the lock %s: %r", lock.name, error)

    async def close(self) -> None:
        """The Redis client is shared with the FSM storage, which closes it."""
