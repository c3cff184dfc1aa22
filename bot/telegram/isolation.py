"""One at a time per key: a resident's updates are handled in the order they came, so a tap
and the message typed right after it, or two parts of a draft, never race."""

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


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
                yield
                return
            async with self._shared.lock(key):
                yield

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()
