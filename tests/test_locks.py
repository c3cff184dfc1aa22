"""One person's updates are handled one at a time, in the order they came."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from bot.telegram.isolation import KeyedLock, OrderedEventIsolation


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
