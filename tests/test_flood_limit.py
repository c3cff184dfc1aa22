"""The residents' flood limit counts in Redis through redis-py, the client the process has
loaded already: the `limits` library's default, coredis, would be a second one, imported at
the first message counted (435 ms with the loop stopped, 24 MB; BENCHMARKS.md)."""

import subprocess
import sys

import pytest

COUNT_TWICE = """
import asyncio, sys
from bot.telegram.flood import ResidentFlood
from bot.counters import limits_storage

async def main():
    flood = ResidentFlood("1/minute", limits_storage(sys.argv[1], key_prefix=sys.argv[2]))
    print(await flood.allow(7), await flood.allow(7), "coredis" in sys.modules)

asyncio.run(main())
"""


@pytest.mark.parametrize("backend", ["postgres"])  # Redis beside PostgreSQL
def test_the_flood_limit_counts_in_redis_without_loading_a_second_client(
    redis_url: str, redis_prefix: str
):
    counted = subprocess.run(
        [sys.executable, "-c", COUNT_TWICE, redis_url, f"{redis_prefix}:flood"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split() == ["True", "False", "False"]  # the second refused
