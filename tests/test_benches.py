"""Every bench under bench/ runs, tiny, so none can rot: each must finish, print its table and
write results that account for everything it sent. No speed is asserted (that is what the
benches report, on a quiet machine; BENCHMARKS.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def bench(results: Path, module: str, *args: str) -> dict[str, Any] | None:
    """Run `python -m bench.<module> ARGS`; the JSON it wrote, if it writes one."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_RESULTS": str(results)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    written = sorted(results.glob(f"{module}-*.json"))
    return json.loads(written[-1].read_text()) if written else None


async def test_updates_bench_answers_every_update_of_both_bots(
    backend: str, redis_url: str | None, database_url: str, tmp_path: Path
):
    found = bench(
        tmp_path, "updates", "--runs", "1", "--residents", "3", "--messages", "2",
        "--conversation-messages", "1", "--paced", "1", "--soak", "1", "--backends", backend,
    )  # fmt: skip
    assert found is not None
    run = found["runs"][0]
    assert run["reference"]["paced"]["unanswered"] == 0
    ours = run["ours"][0]
    assert ours["c_replies"] == 3  # one ticket each, and each card had its reply
    for scenario in "abc":
        assert ours[f"{scenario}_updates_per_second"] > 0
    assert ours["paced"]["unanswered"] == ours["soak"]["unanswered"] == 0
    assert ours["peak_rss_mb"] > 0


async def test_backlog_bench_delivers_everything_within_the_limits(
    backend: str, redis_url: str | None, database_url: str, tmp_path: Path
):
    found = bench(
        tmp_path, "backlog", "--messages", "40", "--residents", "10", "--groups", "2",
        "--backends", backend,
    )  # fmt: skip
    assert found is not None
    (result,) = found["results"]
    assert result["delivered"] == result["queued"] == 40 and result["failed"] == 0
    assert result["busiest_person_second"] == 1


async def test_notification_latency_bench_hears_of_every_commit(
    backend: str, redis_url: str | None, database_url: str, tmp_path: Path
):
    found = bench(
        tmp_path, "notification_latency", "--changes", "3", "--per-second", "5",
        "--backends", backend, "--log", str(tmp_path / "bot.log"),
    )  # fmt: skip
    assert found is not None
    ways = {result["sender"]: result for result in found["results"]}
    expected = (
        {"same process", "other process", "no NOTIFY"}
        if backend == "postgres"
        else {"same process"}
    )
    assert set(ways) == expected
    assert all(r["changes"] == 3 and r["refused_429"] == 0 for r in ways.values())


async def test_the_older_benches_run(
    backend: str, redis_url: str | None, database_url: str, empty_database_url: str, tmp_path: Path
):
    if backend == "postgres":
        admin = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        bench(tmp_path, "inbound_round_trips", "2", "1", admin, str(redis_url))
        bench(tmp_path, "supervision_sweep", "20", empty_database_url)
        bench(tmp_path, "takeover", database_url, "6")
    else:
        bench(tmp_path, "inbound_round_trips", "2", "1")
        bench(tmp_path, "supervision_sweep", "20")


async def test_round_trips_bench_counts_each_part_of_a_deputys_reply(
    backend: str, redis_url: str | None, tmp_path: Path
):
    admin = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    urls = (admin, str(redis_url)) if backend == "postgres" else ()
    found = bench(tmp_path, "inbound_round_trips", "--replies", "2", "1", *urls)
    assert found is not None
    now = found["results"]["now"]
    assert now["handled"] == 2  # both cards replied to, and each reply acknowledged
    # Each reply's update commits once, and its deliveries (reply, status, card) are counted.
    assert now["update_commits_per_reply"] == 1
    assert now["update_statements_per_reply"] > 0 and now["deliveries_statements_per_reply"] > 0


PEER = {name: os.environ.get(name) for name in ("PEER_SRC", "PEER_PYTHON")}


@pytest.mark.skipif(
    not all(PEER.values()),
    reason="bench.peer needs the peer's checkout and a Python with its requirements, which "
    "CI cannot fetch: set PEER_SRC and PEER_PYTHON (bench/README.md) to run it",
)
async def test_peer_bench_relays_every_message_to_its_users_topic(tmp_path: Path):
    found = bench(tmp_path, "peer", "--runs", "1", "--users", "3", "--messages", "2")
    assert found is not None
    run = found["runs"][0]
    assert run["peer"]["topics"] == 3  # a topic for each user, made on their first message
    assert run["peer"]["copies"] == 3 * (1 + 2)  # the first message, then the burst
    for bot in ("peer", "reference"):
        assert run[bot]["updates"] == 3 * 2 and run[bot]["updates_per_second"] > 0
    assert run["ratio"] > 0 and run["cpu_ratio"] > 0
