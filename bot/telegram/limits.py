"""Telegram's sending limits, the one place that knows them: about 30 messages a second in all,
one a second to a private chat and 20 a minute to a group (Telegram's bot FAQ). The sender asks
before each message and waits (or puts the message back) instead of meeting a 429.

The counters are moving windows of the `limits` library: in memory for one process, in Redis
(`REDIS_URL`) so that several sender processes share them. This process also keeps its own
account, per chat and in all, in which a message counts from when Telegram answered it (it
arrived no later): a message that took long to arrive must not let the next ones arrive too
close behind it. (A recipient's messages are sent one after another, whichever process sends
them, so the process that sends the next one has seen the last one answered.)
"""

import time
from collections import deque
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

OVERALL = "30/second"
PRIVATE_CHAT = "1/second"
GROUP = "20/minute"
# The shortest wait worth reporting: a window that is about to free a slot.
MIN_WAIT = 0.01
UNANSWERED_SECONDS = 60.0  # a call let go this long ago and not answered is not waited for


@dataclass
class _Sent:
    let_go: float  # monotonic seconds
    answered: float | None = None

    def counts_at(self, now: float) -> float:
        """When it counts: from Telegram's answer; until then as if it arrived just now (a
        slow call may arrive any moment), unless it was let go so long ago it never will."""
        if self.answered is not None:
            return self.answered
        return now if now - self.let_go < UNANSWERED_SECONDS else self.let_go


def _local_wait(messages: deque[_Sent], item: RateLimitItem) -> float:
    """Seconds until the window has room for one more, by this process's own account."""
    now = time.monotonic()
    window = item.get_expiry()
    recent = sorted(t for m in messages if (t := m.counts_at(now)) > now - window)
    if len(recent) < item.amount:
        return 0.0
    return max(recent[len(recent) - item.amount] + window - now, MIN_WAIT)


@dataclass(frozen=True)
class Limits:
    """The three limits, in the `limits` notation ("20/minute", "5 per 2 seconds")."""

    overall: str = OVERALL
    private_chat: str = PRIVATE_CHAT
    group: str = GROUP


def limits_storage(redis_url: str | None, key_prefix: str = "limits") -> Storage:
    if redis_url is None:
        return MemoryStorage()
    scheme, rest = redis_url.split("://", 1)
    storage = storage_from_string(f"async+{scheme}://{rest}", key_prefix=key_prefix)
    assert isinstance(storage, Storage)
    return storage


class TelegramLimits:
    """How long a chat must wait before the next message to it; 0 means send now, and that
    message is counted."""

    def __init__(self, limits: Limits, storage: Storage) -> None:
        self.overall: RateLimitItem = parse(limits.overall)
        self.private_chat: RateLimitItem = parse(limits.private_chat)
        self.group: RateLimitItem = parse(limits.group)
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        # This process's own account, as Telegram sees it: each message counts from when it
        # was let go until Telegram answered, then from the answer (it arrived no later).
        self._chats: dict[int, deque[_Sent]] = {}
        self._all: deque[_Sent] = deque(maxlen=2 * self.overall.amount)
        self._unanswered: dict[int, deque[_Sent]] = {}

    def sent(self, chat_id: int) -> None:
        """Telegram has answered (or given up on) a message to the chat."""
        waiting = self._unanswered.get(chat_id)
        if waiting:
            waiting.popleft().answered = time.monotonic()
        if len(self._chats) > 10_000:  # forget chats whose windows have passed
            horizon = time.monotonic() - self.group.get_expiry() - self.private_chat.get_expiry()
            self._chats = {c: d for c, d in self._chats.items() if d and d[-1].let_go > horizon}
            self._unanswered = {c: d for c, d in self._unanswered.items() if c in self._chats}

    def _item(self, chat_id: int) -> RateLimitItem:
        return self.private_chat if chat_id > 0 else self.group

    async def wait(self, chat_id: int) -> float:
        chat = self._item(chat_id)
        key = str(chat_id)
        own = self._chats.setdefault(chat_id, deque(maxlen=2 * chat.amount))
        local = max(_local_wait(own, chat), _local_wait(self._all, self.overall))
        if local > 0:
            return local
        # The chat first, only looked at: a chat that must wait takes no overall slot.
        if not await self.limiter.test(chat, "chat", key):
            return await self._until_free(chat, "chat", key)
        if not await self.limiter.hit(self.overall, "overall"):
            return await self._until_free(self.overall, "overall")
        if not await self.limiter.hit(chat, "chat", key):  # another process was quicker
            return await self._until_free(chat, "chat", key)
        # Looked at again with nothing awaited before the message is counted: other sends of
        # this process may have been let go meanwhile (their shared slots are spent either way).
        local = max(_local_wait(own, chat), _local_wait(self._all, self.overall))
        if local > 0:
            return local
        message = _Sent(time.monotonic())
        own.append(message)
        self._all.append(message)
        self._unanswered.setdefault(chat_id, deque(maxlen=4)).append(message)
        return 0.0

    async def _until_free(self, item: RateLimitItem, *identifiers: str) -> float:
        stats = await self.limiter.get_window_stats(item, *identifiers)
        return max(stats.reset_time - time.time(), MIN_WAIT)
