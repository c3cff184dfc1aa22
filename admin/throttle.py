"""Log-in throttling: failed attempts are counted per account and address, per address, and
per account, in moving windows of minutes (Redis when configured, so every process counts
them). A window forgets each failure after a few minutes, so an attacker can hold an account
back only for as long as they keep failing from many addresses, never lock it for good."""

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.counters import limits_storage

PER_ACCOUNT_AND_ADDRESS = parse("5 per 5 minutes")
PER_ADDRESS = parse("20 per 15 minutes")
PER_ACCOUNT = parse("30 per 15 minutes")


def throttle_storage(redis_url: str | None, key_prefix: str) -> Storage:
    """The failures' counters, in Redis through redis-py when configured (as the residents'
    flood limit counts them)."""
    return limits_storage(redis_url, key_prefix)


class LoginThrottle:
    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    def _keys(self, login: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        login = login.strip().lower()[:64]
        return [
            (PER_ACCOUNT_AND_ADDRESS, ("pair", login, address)),
            (PER_ADDRESS, ("address", address)),
            (PER_ACCOUNT, ("account", login)),
        ]

    async def allowed(self, login: str, address: str) -> bool:
        for item, key in self._keys(login, address):
            if not await self.limiter.test(item, *key):
                return False
        return True

    async def failed(self, login: str, address: str) -> None:
        for item, key in self._keys(login, address):
            await self.limiter.hit(item, *key)
