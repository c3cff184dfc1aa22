"""Telegram's sending limits, the one place that knows them: about 30 messages a second in all,
one a second to a private chat and 20 a minute to a group (Telegram's bot FAQ). The sender asks
before each message and waits (or puts the message back) instead of meeting a 429; so does a
handler's direct answer (`bot.telegram.paced`), except that a person's own action may be answered
with a short burst in their private chat (`PRIVATE_BURST`), which Telegram allows.

Telegram counts a message when it arrives, and a message may arrive any time between being let
go and being answered. So a message holds a slot of its limits from the moment it is let go:
until its answer it counts as arriving any moment, afterwards as having arrived when it was
answered (no later than that). A new message is let go only when fewer than the limit's amount
of messages count within the window before it; then no window of arrivals, as Telegram
measures them, ever holds more than the limit, however late any one message arrives. (Counting
a message when it is let go, as a plain moving window or an even spacing of sends does, lets a
late arrival bunch up with the next ones.)

The slots live in Redis (`REDIS_URL`), so that every sender process shares them: one Lua script
looks at both windows and takes both slots at once, on Redis's clock; without Redis, in this
process's memory. A message let go and never answered (its process died) stops counting after
`UNANSWERED_SECONDS`; a handler's direct answer after `ANSWER_UNANSWERED_SECONDS`, so that a
process killed while answering many people does not hold their chats and Telegram's second for
a minute after its restart (a direct answer that arrives later than that and meets a 429 is
waited out, `bot.telegram.paced`).
"""

import asyncio
import itertools
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from limits import parse

log = logging.getLogger(__name__)

OVERALL = "30/second"
PRIVATE_CHAT = "1/second"
PRIVATE_BURST = "3/second"
GROUP = "20/minute"
# The shortest wait worth reporting: a window that is about to free a slot.
MIN_WAIT = 0.01
UNANSWERED_SECONDS = 60.0  # a message let go this long ago and not answered never arrives
ANSWER_UNANSWERED_SECONDS = 5.0  # … a direct answer: counted as arrived by then


@dataclass(frozen=True)
class Limits:
    """The three limits, in the `limits` notation ("20/minute", "5 per 2 seconds")."""

    overall: str = OVERALL
    private_chat: str = PRIVATE_CHAT
    group: str = GROUP
    private_burst: str = PRIVATE_BURST  # direct answers to the person who acted


@dataclass(frozen=True)
class Window:
    """At most `amount` messages within any `seconds`."""

    amount: int
    seconds: float

    @classmethod
    def of(cls, limit: str) -> "Window":
        item = parse(limit)
        return cls(item.amount, float(item.get_expiry()))


class SendSlots(Protocol):
    async def take(
        self, slot: str, windows: list[tuple[str, Window]], unanswered: float = UNANSWERED_SECONDS
    ) -> list[float]:
        """Take a slot named `slot` in every window (key, limit) at once, or none: for each
        window, the seconds until it may have room (0: it has); all 0 if the slot was taken. The
        slot counts as arriving any moment until answered, for `unanswered` seconds at most."""
        ...

    async def answered(self, slot: str, keys: list[str]) -> None:
        """The slot's message was answered: it counts from now on as having arrived now."""
        ...

    async def close(self) -> None: ...


def _wait(counted: list[float], window: Window, now: float) -> float:
    """Seconds until the window, whose messages count at `counted`, has room; 0 if it has."""
    recent = sorted(t for t in counted if t > now - window.seconds)
    if len(recent) < window.amount:
        return 0.0
    # The message that must leave the window first frees its slot a window after it counts; one
    # not yet answered (counted in the future) a window after its answer, no sooner than now.
    frees = min(recent[len(recent) - window.amount], now) + window.seconds
    return max(frees - now, MIN_WAIT)


class MemorySlots:
    """The slots of one process, on its monotonic clock."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, float]] = {}
        self._longest = 0.0  # the longest window seen: a key quiet that long can go

    async def take(
        self, slot: str, windows: list[tuple[str, Window]], unanswered: float = UNANSWERED_SECONDS
    ) -> list[float]:
        now = time.monotonic()
        self._longest = max([self._longest, *(window.seconds for _, window in windows)])
        waits = []
        for key, window in windows:
            counted = self._keys.setdefault(key, {})
            for old in [s for s, t in counted.items() if t <= now - window.seconds]:
                del counted[old]
            waits.append(_wait(list(counted.values()), window, now))
        if not any(waits):
            for key, _ in windows:
                self._keys[key][slot] = now + unanswered
        return waits

    async def answered(self, slot: str, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            counted = self._keys.get(key, {})
            if slot in counted:
                counted[slot] = now
        if len(self._keys) > 10_000:  # forget chats whose windows have passed
            horizon = now - self._longest
            self._keys = {
                k: c for k, c in self._keys.items() if max(c.values(), default=0) > horizon
            }

    async def close(self) -> None:
        self._keys.clear()


# KEYS: one sorted set a window (slot → when it counts); ARGV: the slot, the seconds a slot
# stays unanswered, then each window's amount and seconds, then MIN_WAIT. Returns each window's
# seconds to wait, all "0" when the slot was taken (as text: Lua's numbers come back as integers).
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local unanswered = tonumber(ARGV[2])
local waits = {}
local full = false
for i, key in ipairs(KEYS) do
    local amount = tonumber(ARGV[1 + 2 * i])
    local seconds = tonumber(ARGV[2 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - seconds)
    local count = redis.call('ZCARD', key)
    waits[i] = '0'
    if count >= amount then
        local nth = redis.call('ZRANGE', key, count - amount, count - amount, 'WITHSCORES')
        local frees = math.min(tonumber(nth[2]), now) + seconds
        waits[i] = tostring(math.max(frees - now, tonumber(ARGV[3 + 2 * #KEYS])))
        full = true
    end
end
if full then
    return waits
end
for i, key in ipairs(KEYS) do
    local seconds = tonumber(ARGV[2 + 2 * i])
    redis.call('ZADD', key, now + unanswered, ARGV[1])
    redis.call('PEXPIRE', key, math.ceil((unanswered + seconds) * 1000))
end
return waits
"""

# KEYS: the slot's sorted sets; ARGV: the slot. It counts from now (Redis's clock) on.
_ANSWERED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, 'XX', now, ARGV[1])
end
return 0
"""


class RedisSlots:
    """The slots of every process sharing one Redis, on Redis's clock."""

    def __init__(self, redis_url: str, key_prefix: str) -> None:
        self.redis = aioredis.from_url(redis_url)
        self.prefix = key_prefix
        self._take = self.redis.register_script(_TAKE)
        self._answered = self.redis.register_script(_ANSWERED)

    async def take(
        self, slot: str, windows: list[tuple[str, Window]], unanswered: float = UNANSWERED_SECONDS
    ) -> list[float]:
        args: list[str | float] = [slot, unanswered]
        for _, window in windows:
            args += [window.amount, window.seconds]
        args.append(MIN_WAIT)
        keys = [f"{self.prefix}:{key}" for key, _ in windows]
        return [float(wait) for wait in await self._take(keys=keys, args=args)]

    async def answered(self, slot: str, keys: list[str]) -> None:
        await self._answered(keys=[f"{self.prefix}:{key}" for key in keys], args=[slot])

    async def close(self) -> None:
        await self.redis.aclose()


def send_slots(redis_url: str | None, key_prefix: str = "limits") -> MemorySlots | RedisSlots:
    return MemorySlots() if redis_url is None else RedisSlots(redis_url, key_prefix)


OVERALL_KEY = "overall"


class TelegramLimits:
    """How long a chat must wait before the next message to it; 0 means send now, and that
    message holds its slots until `sent` says Telegram answered it.

    This process's messages ask for a slot one at a time, in a line: while the overall limit is
    full, the first in line sleeps until its next slot frees and the others wait behind it, so
    a freed slot goes to the message that has waited longest, and wakes one message, not all
    of them (each of which would ask Redis again). A message held back by its own chat's limit
    leaves the line with its wait.
    """

    def __init__(self, limits: Limits, slots: SendSlots) -> None:
        self.overall = Window.of(limits.overall)
        self.private_chat = Window.of(limits.private_chat)
        self.group = Window.of(limits.group)
        self.private_burst = Window.of(limits.private_burst)
        self.slots = slots
        self._names = (f"{uuid.uuid4().hex[:12]}:{n}" for n in itertools.count())
        # The slots of this process's messages to each chat that are not answered yet, oldest
        # first. Which of a chat's messages an answer settles does not matter: each answer
        # comes after its own message arrived, so the slots count no earlier than arrivals.
        self._unanswered: dict[int, deque[str]] = {}
        self._line = asyncio.Lock()  # first come, first served

    def _keys(self, chat_id: int) -> list[str]:
        return [f"chat:{chat_id}", OVERALL_KEY]

    async def wait(self, chat_id: int, answer: bool = False) -> float:
        """0 once the message may go (it may wait in line for the overall limit meanwhile),
        or the seconds its chat's own limit asks it to wait. `answer`: a direct answer to a
        person's own action, which may come in a burst."""
        private = self.private_burst if answer else self.private_chat
        chat = private if chat_id > 0 else self.group
        chat_key, overall_key = self._keys(chat_id)
        unanswered = ANSWER_UNANSWERED_SECONDS if answer else UNANSWERED_SECONDS
        async with self._line:
            while True:
                slot = next(self._names)
                windows = [(chat_key, chat), (overall_key, self.overall)]
                chat_wait, overall_wait = await self.slots.take(slot, windows, unanswered)
                if chat_wait == overall_wait == 0:
                    self._unanswered.setdefault(chat_id, deque()).append(slot)
                    return 0.0
                if chat_wait >= overall_wait:
                    return chat_wait
                await asyncio.sleep(overall_wait)

    async def sent(self, chat_id: int) -> None:
        """Telegram has answered (or refused, or given up on) a message to the chat."""
        waiting = self._unanswered.get(chat_id)
        if not waiting:
            return
        slot = waiting.popleft()
        if not waiting:
            del self._unanswered[chat_id]
        try:
            await self.slots.answered(slot, self._keys(chat_id))
        except Exception:  # Redis is away: the slot counts until it is given up on
            log.warning("could not record the answer of a message to %s", chat_id, exc_info=True)

    async def close(self) -> None:
        await self.slots.close()
