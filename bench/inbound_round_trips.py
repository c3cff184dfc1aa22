"""Database and Redis round trips per draft message: residents who chose their area each send
draft messages at once; counted are the SQL statements, transaction begins and commits, pings
before use, connections opened and Redis commands, per message handled. Run with the pool the
bot had before (5 connections + 10 overflow, a ping on every checkout) and with today's.

With `--replies`, per deputy's reply instead: each resident submits an opinion, and once the
cards are in the groups a deputy replies to every card at once; counted per reply are the
statements and commits of the reply's update and of the deliveries it causes (the reply to
the resident, the status notice, the card's new version), each part on its own line.

    .venv/bin/python -m bench.inbound_round_trips [-v] [--replies] [RESIDENTS] [MESSAGES]
        [ADMIN_URL REDIS_URL]

Without URLs it runs on a new SQLite file with memory storage; with them, on a new PostgreSQL
database (created and dropped through the PostgreSQL admin URL, which must allow CREATE
DATABASE) and Redis. `-v` lists the statements. Prints figures; asserts nothing.
"""

import asyncio
import re
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import bot.app
from bench.harness import write_results
from bot.app import build_application
from bot.clock import FrozenClock
from bot.core.directory import load_directory, read_directory
from bot.fake_telegram import FakeTelegram
from bot.runners.polling import run_polling
from bot.settings import DeliverySettings, Settings, StorageSettings, TelegramSettings
from storage.db import create_engine, open_database
from storage.migrate import upgrade_async
from storage.models import InboundStatus, InboundUpdate
from tests.support.harness import (
    BOT_TOKEN,
    DEMO_DIRECTORY,
    STAFF_BASE,
    START,
    Harness,
    deputy_group_chats,
)
from tests.support.stories import ANSWER, OPINION, register_in_haide, submit

CARD = re.compile(r"意见建议（(A-\d{4}-\d{6})）")
PASSED_ON = "已转达反映人（"
statements: Counter[str] = Counter()
bench_task: asyncio.Task[Any] | None = None  # the bench's own, whose statements do not count
counting = False  # while the measured part runs (for -vv: every statement as it goes)
# Per part of the work (`part_of`): statements and commits, for --replies.
parts: Counter[tuple[str, str]] = Counter()


def part_of() -> str:
    """Whose statement it is, by the task it runs in: an update's handling (the reply's
    transaction and its record), the sender's deliveries (its claims and each row's send), or
    anything else (the updates' batch records, the poller)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return "other"
    if task is not None and task is bench_task:
        return "bench"
    name = task.get_name() if task is not None else ""
    if name.startswith("update "):
        return "update"
    if name.startswith("outbox-") or name == "Sender":
        return "deliveries"
    return "other"


def label(sql: str) -> str:
    """SELECT tickets, UPDATE outbox_messages, …: the verb and the first table."""
    words = " ".join(sql.split())
    verb = next((v for v in ("SELECT", "INSERT", "UPDATE", "DELETE") if words.startswith(v)), None)
    if verb is None:
        return words[:40]
    found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", words)
    return f"{verb} {found[1] if found else '?'}"


def engine_before(url: str, *_: Any) -> AsyncEngine:
    """The engine as the bot built it before: pool of 5 (+10 opened and closed as needed) and
    a ping on every checkout."""
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return create_async_engine(url, pool_pre_ping=True)


def count_round_trips(engine: AsyncEngine, counts: Counter[str]) -> None:
    sync = engine.sync_engine

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        part = part_of()
        if part == "bench":
            return  # the bench's own look at the database, not the bot's
        counts.update(["statements"])
        statements.update([f"{part}: {label(sql)}"])
        if "-vv" in sys.argv and counting:
            print(f"  [{part}] {' '.join(sql.split())[:300]}")
        parts.update([(part, "statements")])

    def commit(*_: Any) -> None:
        if (part := part_of()) != "bench":
            counts.update(["commits"])
            parts.update([(part, "commits")])

    event.listen(sync, "before_cursor_execute", statement)
    event.listen(sync, "begin", lambda *a: counts.update(["begins"]))
    event.listen(sync, "commit", commit)
    event.listen(sync, "rollback", lambda *a: counts.update(["rollbacks"]))
    event.listen(sync.pool, "connect", lambda *a: counts.update(["connections opened"]))
    event.listen(sync.pool, "checkout", lambda *a: counts.update(["checkouts"]))
    do_ping = sync.dialect.do_ping

    def ping(connection: Any) -> bool:
        counts.update(["pings"])
        return do_ping(connection)

    sync.dialect.do_ping = ping  # type: ignore[method-assign]


@contextmanager
def engines(factory: Callable[..., AsyncEngine], counts: Counter[str]) -> Iterator[None]:
    def counted(*args: Any) -> AsyncEngine:
        engine = factory(*args)
        count_round_trips(engine, counts)
        return engine

    original = bot.app.create_engine
    bot.app.create_engine = counted  # type: ignore[assignment]
    try:
        yield
    finally:
        bot.app.create_engine = original  # type: ignore[assignment]


async def run(
    label: str,
    factory: Callable[..., AsyncEngine],
    database_url: str,
    redis_url: str | None,
    residents: int,
    messages: int,
    replies: bool = False,
) -> dict[str, float]:
    async with open_database(database_url) as sessions, sessions.begin() as session:
        await load_directory(session, read_directory(DEMO_DIRECTORY))
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_bench_bot", first_name="代表联络站")
    groups = deputy_group_chats(fake)
    settings = Settings(
        telegram=TelegramSettings(
            bot_token=BOT_TOKEN,
            telegram_api_url=await fake.start(),
            # The fake enforces no limits: a row paced away would wait for the frozen clock.
            telegram_limit_overall="100000/second",
            telegram_limit_private_chat="1000/second",
            telegram_limit_group="100000/minute",
        ),
        storage=StorageSettings(database_url=database_url, redis_url=redis_url, auto_migrate=False),
        delivery=DeliverySettings(outbox_poll_seconds=60),
    )
    counts: Counter[str] = Counter()
    with engines(factory, counts):
        # A prefix of this run's own: a draft left in Redis by an earlier run would count on.
        prefix = f"bench-{label}-{uuid.uuid4().hex[:8]}"
        app = build_application(settings, FrozenClock(START), redis_prefix=prefix)
    redis_commands = Counter[str]()
    storage_redis = getattr(app.dispatcher.storage, "redis", None)
    if storage_redis is not None:
        execute = storage_redis.execute_command

        async def counted_command(*args: Any, **kwargs: Any) -> Any:
            redis_commands.update(["redis commands"])
            return await execute(*args, **kwargs)

        storage_redis.execute_command = counted_command
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    harness = Harness(fake, app, groups, polling, f"bench-{label}")
    people = [
        fake.user(user_id=8000 + n, first_name="小红", language_code="zh-hans")
        for n in range(residents)
    ]
    await asyncio.gather(*(register_in_haide(harness, person) for person in people))
    if replies:
        await asyncio.gather(*(submit(harness, person, OPINION) for person in people))
        await harness.outbox_settled(timeout=120)
    async with app.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(InboundUpdate))
    counts.clear()
    redis_commands.clear()
    statements.clear()
    parts.clear()
    global counting, bench_task
    counting, bench_task = True, asyncio.current_task()

    async def write(person: Any) -> None:
        for n in range(messages):
            await person.send_text(f"第{n + 1}条：小区门口的路灯坏了，晚上很黑。")
            await harness.bot_says(person.id, f"已记下（共{n + 1}条，", timeout=60)

    if replies:
        handled = await reply_to_every_card(harness)
        what = "deputy's replies"
    else:
        await asyncio.gather(*(write(person) for person in people))
        handled = residents * messages
        what = "draft messages"
    while True:
        async with app.sessionmaker() as session:
            done = await session.scalar(
                select(func.count()).where(InboundUpdate.status == InboundStatus.DONE)
            )
        if done - before >= handled:
            break
        await asyncio.sleep(0.05)
    if replies:
        await harness.outbox_settled(timeout=120)
    counting = False
    bench_task = None
    figures = {**counts, **redis_commands}
    figures.pop("checkouts", None)
    checkouts = counts["checkouts"] - 1  # less the count above
    trips = counts["statements"] + counts["begins"] + counts["commits"] + counts["pings"]
    print(
        f"{label:>7}: {handled} {what}; each: "
        + ", ".join(f"{name} {value / handled:.2f}" for name, value in sorted(figures.items()))
        + f", checkouts {checkouts / handled:.2f}; database round trips ≈ {trips / handled:.2f}"
    )
    per = {f"{name}_per_message": value / handled for name, value in figures.items()}
    if replies:
        for part in ("update", "deliveries", "other"):
            print(
                f"{'':>9}{part}: statements {parts[(part, 'statements')] / handled:.2f}, "
                f"commits {parts[(part, 'commits')] / handled:.2f}"
            )
            for kind in ("statements", "commits"):
                per[f"{part}_{kind}_per_reply"] = parts[(part, kind)] / handled
    if "-v" in sys.argv or "-vv" in sys.argv:
        for sql, number in sorted(statements.items(), key=lambda item: (-item[1], item[0])):
            print(f"    {number / handled:5.2f}  {sql}")
    await app.inbound.stop()
    await polling
    if storage_redis is not None:
        keys = [key async for key in storage_redis.scan_iter(f"{prefix}:*")]
        if keys:
            await storage_redis.delete(*keys)
    await app.close()
    await fake.stop()
    return {"handled": handled, **per}


async def reply_to_every_card(harness: Harness) -> int:
    """A deputy of each group replies to every card in it, all at once; returns how many
    replies, once each is acknowledged in its group."""
    replied = 0
    for chat_id, group in harness.groups.items():
        deputies = [member for member in group.members.values() if member.id < STAFF_BASE]
        cards = [m for m in harness.fake.bot_messages(chat_id) if CARD.match(m.get("text", ""))]
        for n, card in enumerate(cards):
            deputy = deputies[n % len(deputies)]
            await deputy.send_text(ANSWER, group, reply_to=card["message_id"])
            replied += 1

    def acknowledged() -> int:
        return sum(
            PASSED_ON in m.get("text", "")
            for chat_id in harness.groups
            for m in harness.fake.bot_messages(chat_id)
        )

    await harness.fake.wait_for(lambda: acknowledged() >= replied, timeout=120)
    return replied


async def new_postgres(admin_url: str) -> str:
    name = f"lsb_bench_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_postgres(admin_url: str, url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


async def main(
    residents: int, messages: int, admin_url: str | None, redis_url: str | None, replies: bool
) -> None:
    pools = (
        [("now", create_engine)] if replies else [("before", engine_before), ("now", create_engine)]
    )
    results = {}
    for label, factory in pools:
        if admin_url is None:
            url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        else:
            url = await new_postgres(admin_url)
        await upgrade_async(url)
        try:
            results[label] = await run(label, factory, url, redis_url, residents, messages, replies)
        finally:
            if admin_url is not None:
                await drop_postgres(admin_url, url)
    name = "inbound_round_trips-replies" if replies else "inbound_round_trips"
    write_results(
        name,
        {
            "backend": "sqlite" if admin_url is None else "postgres",
            "residents": residents,
            "messages": messages,
            "results": results,
        },
    )


if __name__ == "__main__":
    args = [arg for arg in sys.argv[1:] if arg not in ("-v", "-vv", "--replies")]
    asyncio.run(
        main(
            int(args[0]) if args else 30,
            int(args[1]) if len(args) > 1 else 9,
            args[2] if len(args) > 2 else None,
            args[3] if len(args) > 3 else None,
            "--replies" in sys.argv,
        )
    )
