"""Telegram's sending limits, the one place that knows them: about 30 messages a second in all,
one a second to a private chat and 20 a minute to a group (Telegram's bot FAQ). The sender asks
before each message and waits (or puts the message back) instead of meeting a 429.

The counters are moving windows of the `limits` library: in memory for one process, in Redis
(`REDIS_URL`) so that several sender processes share them. A chat's messages are also counted
when Telegram has answered (`sent`), in this process: a message that took long to arrive must
not let the next one arrive too close behind it. (A recipient's messages are sent one after
another, whichever process sends them, so the process that sends the next one has the last.)
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
        self._answered: dict[int, deque[float]] = {}  # chat → when Telegram answered, newest last

    def sent(self, chat_id: int) -> None:
        """Telegram has answered a message to the chat: it arrived no later than now."""
        chat = self._item(chat_id)
        answered = self._answered.setdefault(chat_id, deque(maxlen=chat.amount))
        answered.append(time.monotonic())
        if len(self._answered) > 10_000:  # forget chats whose window has passed
            horizon = time.monotonic() - max(
                self.group.get_expiry(), self.private_chat.get_expiry()
            )
            self._answered = {c: d for c, d in self._answered.items() if d[-1] > horizon}

    def _item(self, chat_id: int) -> RateLimitItem:
        return self.private_chat if chat_id > 0 else self.group

    async def wait(self, chat_id: int) -> float:
        chat = self._item(chat_id)
        key = str(chat_id)
        answered = self._answered.get(chat_id)
        if answered is not None and len(answered) == chat.amount:
            local = answered[0] + chat.get_expiry() - time.monotonic()
            if local > 0:
                return max(local, MIN_WAIT)
        # The chat first, only looked at: a chat that must wait takes no overall slot.
        if not await self.limiter.test(chat, "chat", key):
            return await self._until_free(chat, "chat", key)
        if not await self.limiter.hit(self.overall, "overall"):
            return await self._until_free(self.overall, "overall")
        if not await self.limiter.hit(chat, "chat", key):  # another process was quicker
            return await self._until_free(chat, "chat", key)
        return 0.0

    async def _until_free(self, item: RateLimitItem, *identifiers: str) -> float:
        stats = await self.limiter.get_window_stats(item, *identifiers)
        return max(stats.reset_time - time.time(), MIN_WAIT)
