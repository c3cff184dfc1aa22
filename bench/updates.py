"""Updates a second, against the bare framework: our bot (`python -m bot run`, long polling)
and the reference (`bench/reference.py`, a bare aiogram bot that echoes every private text),
each a process of its own, against the fake Bot API in this process.

    .venv/bin/python -m bench.updates [--runs 3] [--residents 200] [--messages 10]
        [--paced 20] [--soak 0] [--backends sqlite,postgres]

Each run measures the reference and then ours on each backend:
  (b) whole conversations — start, language, district, street, community, messages, submit —
      for all residents at once;
  (a) the same residents, now with an area, each writing `--messages` draft messages at once;
  (c) deputies replying to every card at once, passed on to the residents;
  then `--paced` seconds of draft messages at half the peak of (a) (each resident submits
  after every 20, the residents' submits spread evenly over the rounds), for
  the time from an update's arrival to its durable record (getUpdates confirmed it, which our
  bot does only once it is recorded) and to the answer; then `--soak` seconds more of the
  same, for memory. The reference gets a burst of `residents × messages` texts and the same
  paced rate. Prints a table of medians and spreads over the runs, ratios to the reference of
  the same run; writes JSON under bench/results/. Asserts nothing.
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func, select

from bench.harness import (
    BotProcess,
    Database,
    Sent,
    TimedFake,
    percentile,
    spread,
    table,
    write_results,
)
from bench.people import PATHS, Resident, Writer, deputy_replies, stagger_submits
from bot.core.directory import load_directory, read_directory
from storage.db import open_database
from storage.migrate import upgrade_async
from storage.models import OutboxMessage, OutboxStatus
from tests.support.harness import DEMO_DIRECTORY, deputy_group_chats

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UNLIMITED = {  # the fake enforces no limits here: this is about handling updates
    "TELEGRAM_LIMIT_OVERALL": "100000/second",
    "TELEGRAM_LIMIT_PRIVATE_CHAT": "1000/second",
    "TELEGRAM_LIMIT_PRIVATE_BURST": "1000/second",  # a person's own answers, 3 a second
    "TELEGRAM_LIMIT_GROUP": "100000/minute",
}
# The bench's residents write faster than a person could (a burst, then a paced rate): the
# product's per-resident flood limit would ask them to slow down and keep nothing.
BENCH_RESIDENTS = {"RESIDENT_MESSAGE_LIMIT": "100000/second"}
WAIT = 600.0
BOT = os.environ.get("BENCH_BOT", "bot run").split()  # the module (and arguments) of our bot


def cpu_ms(bot: BotProcess, since: float, sent: list[Sent]) -> float | None:
    """The bot's CPU milliseconds per update since `since` (its CPU seconds then)."""
    return (bot.cpu_seconds() - since) * 1000 / len(sent) if sent else None


def rate(sent: list[Sent]) -> float | None:
    answered = [s.answered for s in sent if s.answered is not None]
    if len(answered) < len(sent) or not sent:
        return None
    return len(sent) / (max(answered) - min(s.at for s in sent))


def latencies(sent: list[Sent]) -> dict[str, Any]:
    answer = [s.answered - s.at for s in sent if s.answered is not None]
    record = [s.confirmed - s.at for s in sent if s.confirmed is not None]
    ms = lambda v: None if v is None else v * 1000  # noqa: E731
    return {
        "updates": len(sent),
        "unanswered": len(sent) - len(answer),
        "answer_p50_ms": ms(percentile(answer, 0.5)),
        "answer_p99_ms": ms(percentile(answer, 0.99)),
        "record_p50_ms": ms(percentile(record, 0.5)),
        "record_p99_ms": ms(percentile(record, 0.99)),
    }


async def paced(fake: TimedFake, people: list[Any], per_second: float, seconds: float):
    """Turns of the people, round robin, `per_second` in all, for `seconds`."""
    first = len(fake.sent)
    started, turns, tasks = time.perf_counter(), 0, set()
    while (due := started + turns / per_second) < started + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        task = asyncio.create_task(people[turns % len(people)].paced_turn())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        turns += 1
    await asyncio.gather(*tasks)
    await fake.all_answered(WAIT)
    return fake.sent[first:]


async def burst(fake: TimedFake, people: list[Any], messages: int) -> list[Sent]:
    sent = [person.write() for _ in range(messages) for person in people]
    await fake.all_answered(WAIT)
    return sent


async def started(fake: TimedFake, bot: BotProcess) -> None:
    await bot.start()
    await fake.wait_for(lambda: any(r.method == "getUpdates" for r in fake.requests), 120)


async def reference(args: argparse.Namespace, per_second: float, log: Path) -> dict[str, Any]:
    fake = TimedFake(young_collector=True)
    token = f"{random.randrange(10**9, 2 * 10**9)}:BENCH-reference"
    fake.add_bot(token=token, username="bench_reference_bot")
    writers = [
        Writer(fake, fake.user(user_id=8_000_000 + n, first_name="小红"))
        for n in range(args.residents)
    ]
    bot = BotProcess(
        ["bench.reference"], {"BOT_TOKEN": token, "TELEGRAM_API_URL": await fake.start()}, log
    )
    try:
        await started(fake, bot)
        cpu = bot.cpu_seconds()
        sent = await burst(fake, writers, args.messages)
        peak, cpu_per_update = rate(sent), cpu_ms(bot, cpu, sent)
        steady = await paced(fake, writers, per_second, args.paced)
        return {
            "updates_per_second": peak,
            "cpu_ms_per_update": cpu_per_update,
            "paced_per_second": per_second,
            "paced": latencies(steady),
            "peak_rss_mb": bot.memory("VmHWM"),
        }
    finally:
        await bot.stop()
        await fake.stop()


async def prepared(database: Database) -> None:
    await upgrade_async(database.url)
    async with open_database(database.url) as sessions, sessions.begin() as session:
        await load_directory(session, read_directory(DEMO_DIRECTORY))


async def outbox_settled(url: str) -> None:
    async with open_database(url) as sessions:
        for _ in range(int(WAIT * 10)):
            async with sessions() as session:
                pending = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            if not pending:
                return
            await asyncio.sleep(0.1)


async def ours(args: argparse.Namespace, database: Database, log: Path) -> dict[str, Any]:
    await prepared(database)
    fake = TimedFake(young_collector=True)
    bot_id = random.randrange(10**9, 2 * 10**9)
    fake.add_bot(token=f"{bot_id}:BENCH-liaison", username="liaison_bench_bot")
    groups = deputy_group_chats(fake)
    residents = [
        Resident(
            fake,
            fake.user(user_id=8_000_000 + n, first_name="小红", language_code="zh-hans"),
            PATHS[n % len(PATHS)],
        )
        for n in range(args.residents)
    ]
    env = {
        "BOT_TOKEN": fake.bot.token,
        "TELEGRAM_API_URL": await fake.start(),
        "DATABASE_URL": database.url,
        "REDIS_URL": database.redis_url or "",
        "AUTO_MIGRATE": "false",
        **UNLIMITED,
        **BENCH_RESIDENTS,
        **dict(setting.split("=", 1) for setting in args.bot_env),
    }
    bot = BotProcess(BOT, env, log)
    figures: dict[str, Any] = {"backend": database.label}
    try:
        await started(fake, bot)
        rss = figures["rss_mb_after"] = {"start": bot.memory()}
        first, cpu = len(fake.sent), bot.cpu_seconds()
        await asyncio.gather(*(r.converse(args.conversation_messages) for r in residents))
        figures["b_updates_per_second"] = rate(fake.sent[first:])
        figures["b_cpu_ms_per_update"] = cpu_ms(bot, cpu, fake.sent[first:])
        rss["b"] = bot.memory()
        await outbox_settled(database.url)  # the cards are sent: (a) measures updates only
        cpu = bot.cpu_seconds()
        drafts = await burst(fake, residents, args.messages)
        figures["a_updates_per_second"] = rate(drafts)
        figures["a_cpu_ms_per_update"] = cpu_ms(bot, cpu, drafts)
        rss["a"] = bot.memory()
        cpu = bot.cpu_seconds()
        replies = deputy_replies(fake, groups)
        await fake.all_answered(WAIT)
        figures["c_updates_per_second"] = rate(replies)
        figures["c_cpu_ms_per_update"] = cpu_ms(bot, cpu, replies)  # and passing them on
        figures["c_replies"] = len(replies)
        rss["c"] = bot.memory()
        per_second = (figures["a_updates_per_second"] or 2.0) / 2
        figures["paced_per_second"] = per_second
        stagger_submits(residents)
        figures["paced"] = latencies(await paced(fake, residents, per_second, args.paced))
        rss["paced"] = bot.memory()
        figures["peak_rss_mb"] = bot.memory("VmHWM")
        if args.soak:
            soak_start = len(bot.rss)
            figures["soak"] = latencies(await paced(fake, residents, per_second, args.soak))
            samples = [mb for _, mb in bot.rss[soak_start:]]
            warm = samples[len(samples) // 5 :] or samples  # the first fifth is the warm-up
            figures["soak"] |= {
                "seconds": args.soak,
                "rss_after_warmup_mb": warm[0] if warm else None,
                "rss_end_mb": warm[-1] if warm else None,
                "rss_max_mb": max(warm) if warm else None,
                "peak_rss_mb": bot.memory("VmHWM"),
            }
    finally:
        await bot.stop()
        await fake.stop()
        if database.redis_url:
            client = aioredis.from_url(database.redis_url)
            keys = [key async for key in client.scan_iter(f"fsm:{bot_id}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
        await database.drop()
    return figures


async def one_run(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    run: dict[str, Any] = {"ours": []}
    for backend in args.backends:
        database = await Database.create(
            POSTGRES if backend == "postgres" else None, REDIS if backend == "postgres" else None
        )
        run["ours"].append(await ours(args, database, logs / f"bot-{backend}.log"))
    per_second = min(figures["paced_per_second"] for figures in run["ours"])
    run["reference"] = await reference(args, per_second, logs / "reference.log")
    for figures in run["ours"]:
        for scenario in "abc":
            mine, theirs = figures[f"{scenario}_updates_per_second"], run["reference"]
            figures[f"{scenario}_ratio"] = (
                mine / theirs["updates_per_second"]
                if mine and theirs["updates_per_second"]
                else None
            )
    return run


def summary(runs: list[dict[str, Any]], backends: list[str]) -> list[list[Any]]:
    rows = []
    ref = [r["reference"] for r in runs]

    def row(label: str, values: list[float | None]) -> list[Any]:
        s = spread([v for v in values if v is not None])
        return [label, s["median"], s["low"], s["high"]]

    rows.append(row("reference: updates/s", [r["updates_per_second"] for r in ref]))
    rows.append(row("reference: CPU ms/update", [r["cpu_ms_per_update"] for r in ref]))
    rows.append(row("reference: answer p99 ms (paced)", [r["paced"]["answer_p99_ms"] for r in ref]))
    rows.append(row("reference: peak RSS MB", [r["peak_rss_mb"] for r in ref]))
    for n in range(len(backends)):
        mine = [r["ours"][n] for r in runs]
        label = mine[0]["backend"]
        for scenario, what in (("a", "draft messages"), ("b", "conversations"), ("c", "replies")):
            rows.append(
                row(
                    f"{label} ({scenario}) {what}: updates/s",
                    [m[f"{scenario}_updates_per_second"] for m in mine],
                )
            )
            rows.append(
                row(
                    f"{label} ({scenario}) CPU ms/update",
                    [m[f"{scenario}_cpu_ms_per_update"] for m in mine],
                )
            )
            rows.append(
                row(
                    f"{label} ({scenario}) ratio to reference",
                    [m[f"{scenario}_ratio"] for m in mine],
                )
            )
        rows.append(row(f"{label} paced at updates/s", [m["paced_per_second"] for m in mine]))
        for key in ("record_p50_ms", "record_p99_ms", "answer_p50_ms", "answer_p99_ms"):
            rows.append(row(f"{label} paced {key}", [m["paced"][key] for m in mine]))
        rows.append(row(f"{label} paced unanswered", [m["paced"]["unanswered"] for m in mine]))
        rows.append(row(f"{label} peak RSS MB", [m["peak_rss_mb"] for m in mine]))
        if "soak" in mine[0]:
            for key in ("answer_p99_ms", "rss_after_warmup_mb", "rss_end_mb", "peak_rss_mb"):
                rows.append(row(f"{label} soak {key}", [m["soak"][key] for m in mine]))
    return rows


async def main(args: argparse.Namespace) -> None:
    logs = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    runs = []
    for n in range(args.runs):
        runs.append(await one_run(args, logs))
        print(f"run {n + 1} of {args.runs} done (logs in {logs})", flush=True)
    rows = summary(runs, args.backends)
    print(table(rows, ["figure", "median", "lowest", "highest"]))
    path = write_results("updates", {"arguments": vars(args), "runs": runs, "logs": str(logs)})
    print(f"results: {path}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10, help="draft messages each, in (a)")
    parser.add_argument("--conversation-messages", type=int, default=3, help="… in (b)")
    parser.add_argument("--paced", type=float, default=20, help="seconds at half the peak")
    parser.add_argument("--soak", type=float, default=0, help="seconds more, for memory")
    parser.add_argument("--backends", default="sqlite,postgres", type=lambda s: s.split(","))
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for our bot's process (repeatable), e.g. DATABASE_POOL_SIZE=10",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
