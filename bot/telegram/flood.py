"""The per-resident flood limit: someone sending faster than a person could is slowed down,
politely, once per window. Counted with the `limits` library, in Redis when configured, so
every process of the bot shares the count."""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

ALBUM_SEEN = parse("1 per 10 minutes")  # an album's items arrive within seconds


class ResidentFlood:
    def __init__(self, limit: str, storage: Storage) -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage)

    async def allow(self, resident_id: int, album: str | None = None) -> bool:
        """Count one message; False once the resident is over the limit. The items of an
        album (each its own message) count as one: the app sends them in one go."""
        if album is not None and not await self.limiter.hit(ALBUM_SEEN, "album", album):
            return True
        return await self.limiter.hit(self.item, "message", str(resident_id))

    async def first_refusal(self, resident_id: int) -> bool:
        """True for the first refused message of a window: that one is answered."""
        warning = parse(f"1 per {self.item.get_expiry()} seconds")
        return await self.limiter.hit(warning, "warning", str(resident_id))

    async def wait(self, resident_id: int) -> int:
        """Whole seconds until the resident may send again (at least one)."""
        stats = await self.limiter.get_window_stats(self.item, "message", str(resident_id))
        return max(1, math.ceil(stats.reset_time - time.time()))
