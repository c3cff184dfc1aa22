"""The per-resident flood limit: someone sending faster than a person could is slowed down,
politely, once per window. Counted with the `limits` library, in Redis when configured, so
every process of the bot shares the count."""

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter


class ResidentFlood:
    def __init__(self, limit: str, storage: Storage) -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage)

    async def allow(self, resident_id: int) -> bool:
        """Count one message; False once the resident is over the limit."""
        return await self.limiter.hit(self.item, "message", str(resident_id))

    async def first_refusal(self, resident_id: int) -> bool:
        """True for the first refused message of a window: that one is answered."""
        warning = parse(f"1 per {self.item.get_expiry()} seconds")
        return await self.limiter.hit(warning, "warning", str(resident_id))
