"""The peer against the bare framework: MasterGroosha/telegram-feedback-bot-topics, the
best-known open-source aiogram bot that relays residents' messages to a forum group (a topic
per user; every message copied there and the pair stored in PostgreSQL), beside the
reference (`bench/reference.py`, a bare aiogram bot that echoes every private text), each a
process of its own polling the fake Bot API in this process, in the same run.

    .venv/bin/python -m bench.peer --peer-src /tmp/peer/src \\
        --peer-python /tmp/peer/venv/bin/python [--runs 3] [--users 100] [--messages 5]

None of the peer's code is in this repository: `--peer-src` is a checkout of it and
`--peer-python` a Python with its requirements (bench/README.md says how to make them; or
PEER_SRC and PEER_PYTHON). Each run makes a PostgreSQL database for the peer (the peer's own
Alembic migrations make its tables) and drops it afterwards, and starts the peer through
`bench/peer_launcher.py`, which points aiogram at the fake. The reference runs on our
Python (our aiogram) unless `--reference-python` names another, e.g. the peer's (its aiogram).

Each bot: every user writes one message first (the peer makes the user's topic and posts
who they are: a warm-up, not measured), then a burst of users × messages texts at once. An
update is answered when the peer's copy of it reaches the forum group (the reference: its
echo). Updates a second = updates of the burst / (last answer − first update made); CPU
ms/update and peak RSS (VmHWM) of the bot's process. Prints the medians and spreads over the
runs, the peer's ratio to the reference taken within each run (of the rates, and of the CPU
per update: reference / peer); writes JSON under bench/results/. Asserts nothing.
"""

import argparse
import asyncio
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import BotProcess, Database, TimedFake, spread, table, write_results
from bench.people import Writer
from bench.updates import POSTGRES, WAIT, burst, cpu_ms, rate, started

LAUNCHER = Path(__file__).with_name("peer_launcher.py")
ROOT = LAUNCHER.parent.parent  # the repository: where `-m bench.reference` is found
FORUM = -1001000000777  # the peer's supergroup, a forum where the bot manages topics
SETTINGS = """\
[bot]
token = "{token}"
supergroup_id = {forum}

[db]
dsn = "{dsn}"
echo = false

[logs]
show_datetime = true
datetime_format = "%Y-%m-%d %H:%M:%S"
show_debug_logs = false
time_in_utc = true
use_colors_in_console = false
renderer = "console"
"""


def peer_locale(src: Path) -> None:
    """The peer reads bot/locale/current/strings.ftl, which its checkout leaves to be made
    from the examples it ships: the English one, if none is there yet."""
    current = src / "bot" / "locale" / "current" / "strings.ftl"
    if not current.exists():
        shutil.copyfile(src / "bot" / "locale" / "examples" / "en" / "strings.ftl", current)
        print(f"copied the peer's English strings to {current}", flush=True)


async def migrated(args: argparse.Namespace, settings: Path) -> None:
    """The peer's own migrations (`alembic upgrade head`) on its new database."""
    done = await asyncio.create_subprocess_exec(
        args.peer_python, "-m", "alembic", "upgrade", "head",
        cwd=args.peer_src, env={**os.environ, "CONFIG_FILE_PATH": str(settings)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await done.communicate()
    if done.returncode:
        raise RuntimeError(f"the peer's migrations failed:\n{output.decode()[-2000:]}")


async def measured(fake: TimedFake, bot: BotProcess, writers: list[Writer], messages: int):
    """Warm-up (one message each), then the burst; the burst's figures."""
    await started(fake, bot)
    for writer in writers:
        writer.write()
    await fake.all_answered(WAIT)
    cpu = bot.cpu_seconds()
    sent = await burst(fake, writers, messages)
    return {
        "updates": len(sent),
        "updates_per_second": rate(sent),
        "cpu_ms_per_update": cpu_ms(bot, cpu, sent),
        "peak_rss_mb": bot.memory("VmHWM"),
    }


def users(fake: TimedFake, count: int) -> list[Writer]:
    return [
        Writer(fake, fake.user(user_id=8_000_000 + n, first_name="小红", language_code="zh-hans"))
        for n in range(count)
    ]


async def peer(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    database = await Database.create(POSTGRES, None)
    dsn = database.url.replace("postgresql+asyncpg://", "postgresql+psycopg://")
    fake = TimedFake()
    token = f"{random.randrange(10**9, 2 * 10**9)}:BENCH-peer"
    fake.add_bot(token=token, username="bench_peer_bot")
    fake.group(FORUM, "Feedback", is_forum=True)  # the bot is an administrator there
    writers = users(fake, args.users)
    settings = logs / "peer-settings.toml"
    settings.write_text(SETTINGS.format(token=token, forum=FORUM, dsn=dsn))
    try:
        await migrated(args, settings)
        env = {"CONFIG_FILE_PATH": str(settings), "TELEGRAM_API_URL": await fake.start()}
        bot = BotProcess(
            [], env, logs / "peer.log", command=[args.peer_python, str(LAUNCHER)], cwd=args.peer_src
        )
        try:
            figures = await measured(fake, bot, writers, args.messages)
        finally:
            await bot.stop()
        figures["topics"] = len(fake.topics(FORUM))
        texts = sum("text" in m for m in fake.bot_messages(FORUM))
        figures["copies"] = texts - figures["topics"]  # each topic opens with who wrote
        return figures
    finally:
        await fake.stop()
        await database.drop()


async def reference(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    fake = TimedFake()
    token = f"{random.randrange(10**9, 2 * 10**9)}:BENCH-reference"
    fake.add_bot(token=token, username="bench_reference_bot")
    writers = users(fake, args.users)
    env = {"BOT_TOKEN": token, "TELEGRAM_API_URL": await fake.start()}
    module = ["-m", "bench.reference"]
    command = [args.reference_python, *module] if args.reference_python else None
    bot = BotProcess(module[1:], env, logs / "reference.log", command=command, cwd=ROOT)
    try:
        return await measured(fake, bot, writers, args.messages)
    finally:
        await bot.stop()
        await fake.stop()


async def one_run(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    run = {"peer": await peer(args, logs), "reference": await reference(args, logs)}
    mine, bare = run["peer"]["updates_per_second"], run["reference"]["updates_per_second"]
    run["ratio"] = mine / bare if mine and bare else None
    # The share of the reference's rate the peer's CPU per update allows: the figure least
    # moved by the others' work on the machine (the rates also hold the fake's share).
    mine, bare = run["peer"]["cpu_ms_per_update"], run["reference"]["cpu_ms_per_update"]
    run["cpu_ratio"] = bare / mine if mine and bare else None
    return run


def summary(runs: list[dict[str, Any]]) -> list[list[Any]]:
    def row(label: str, values: list[float | None]) -> list[Any]:
        s = spread([v for v in values if v is not None])
        return [label, s["median"], s["low"], s["high"]]

    rows = []
    for bot in ("reference", "peer"):
        rows.append(row(f"{bot}: updates/s", [r[bot]["updates_per_second"] for r in runs]))
        rows.append(row(f"{bot}: CPU ms/update", [r[bot]["cpu_ms_per_update"] for r in runs]))
        rows.append(row(f"{bot}: peak RSS MB", [r[bot]["peak_rss_mb"] for r in runs]))
    rows.append(row("peer: ratio to reference", [r["ratio"] for r in runs]))
    rows.append(row("peer: CPU ratio (reference ms / peer ms)", [r["cpu_ratio"] for r in runs]))
    return rows


async def main(args: argparse.Namespace) -> None:
    peer_locale(args.peer_src)
    logs = Path(tempfile.mkdtemp(prefix="bench-peer-"))
    runs = []
    for n in range(args.runs):
        runs.append(await one_run(args, logs))
        print(f"run {n + 1} of {args.runs} done (logs in {logs})", flush=True)
    print(table(summary(runs), ["figure", "median", "lowest", "highest"]))
    arguments = {**vars(args), "peer_src": str(args.peer_src)}
    path = write_results("peer", {"arguments": arguments, "runs": runs, "logs": str(logs)})
    print(f"results: {path}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--peer-src",
        type=Path,
        default=os.environ.get("PEER_SRC"),
        help="a checkout of the peer (default: PEER_SRC)",
    )
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("PEER_PYTHON"),
        help="a Python with the peer's requirements (default: PEER_PYTHON)",
    )
    parser.add_argument(
        "--reference-python",
        help="run the reference with this Python (e.g. the peer's, for its aiogram), not ours",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5, help="texts each, in the burst")
    args = parser.parse_args(argv)
    if args.peer_src is None or args.peer_python is None:
        parser.error("--peer-src and --peer-python (or PEER_SRC and PEER_PYTHON) are needed")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
