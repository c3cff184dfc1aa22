"""Counters of the `limits` library (the residents' flood limit, the staff panel's log-in
throttle), in this process's memory or shared through Redis with redis-py."""

from typing import ClassVar

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.storage import storage_from_string
from packaging.version import Version


class RedisPyStorage(RedisStorage):
    """The `limits` library's Redis storage on redis-py alone, the client the process has
    loaded already. Asked for any client, the library imports every one it knows of that is
    installed (`DEPENDENCIES`), and by default counts with coredis: a second Redis client,
    imported at the first message counted — 435 ms with the event loop stopped, and 24 MB of
    the process's memory with the beartype it brings (BENCHMARKS.md, the soak)."""

    DEPENDENCIES: ClassVar[dict[str, Version | None]] = {"redis": Version("5.2.0")}


def limits_storage(redis_url: str | None, key_prefix: str = "limits") -> Storage:
    """A store of the `limits` library's counters (the residents' flood limit)."""
    if redis_url is None:
        return MemoryStorage()
    scheme, rest = redis_url.split("://", 1)
    uri = f"async+{scheme}://{rest}"
    if scheme in ("redis", "rediss", "redis+unix"):  # one server (not a cluster), not Valkey
        return RedisPyStorage(uri, implementation="redispy", key_prefix=key_prefix)
    storage = storage_from_string(uri, implementation="redispy", key_prefix=key_prefix)
    assert isinstance(storage, Storage)
    return storage
