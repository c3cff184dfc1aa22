"""Database and Redis round trips per draft message: residents who chose their area each send
draft messages at once; counted are the SQL statements, transaction begins and commits, pings
before use, connections opened and Redis commands, per message handled. Run with the pool the
bot had before (5 connections + 10 overflow, a ping on every checkout) and with today's.

    .venv/bin/python -m bench.inbound_round_trips [-v] [RESIDENTS] [MESSAGES] [ADMIN_URL REDIS_URL]

Without URLs it runs on a new SQLite file with memory storage; with them, on a new PostgreSQL
database (created and dropped through the PostgreSQL admin URL, which must allow CREATE
DATABASE) and Redis. `-v` lists the statements. Prints figures; asserts nothing.
"""

import asyncio
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
    START,
    Harness,
    deputy_group_chats,
)
from tests.support.stories import register_in_haide

statements: Counter[str] = Counter()


def engine_before(url: str, *_: Any) -> AsyncEngine:
    """The engine as the bot built it before: pool of 5 (+10 opened and closed as needed) and
    a ping on every checkout."""
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return create_async_engine(url, pool_pre_ping=True)


def count_round_trips(engine: AsyncEngine, counts: Counter[str]) -> None:
    sync = engine.sync_engine

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        counts.update(["statements"])
        statements.update([" ".join(sql.split()[:4])[:60]])

    event.listen(sync, "before_cursor_execute", statement)
    event.listen(sync, "begin", lambda *a: counts.update(["begins"]))
    event.listen(sync, "commit", lambda *a: counts.update(["commits"]))
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
) -> None:
    async with open_database(database_url) as sessions, sessions.begin() as session:
        await load_directory(session, read_directory(DEMO_DIRECTORY))
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_bench_bot", first_name="代表联络站")
    groups = deputy_group_chats(fake)
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=await fake.start()),
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
    harness = Harness(fake, app, groups)
    people = [
        fake.user(user_id=8000 + n, first_name="小红", language_code="zh-hans")
        for n in range(residents)
    ]
    await asyncio.gather(*(register_in_haide(harness, person) for person in people))
    async with app.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(InboundUpdate))
    counts.clear()
    redis_commands.clear()
    statements.clear()

    async def write(person: Any) -> None:
        for n in range(messages):
            await person.send_text(f"第{n + 1}条：小区门口的路灯坏了，晚上很黑。")
            await harness.bot_says(person.id, f"已记下（共{n + 1}条，", timeout=60)

    await asyncio.gather(*(write(person) for person in people))
    handled = residents * messages
    while True:
        async with app.sessionmaker() as session:
            done = await session.scalar(
                select(func.count()).where(InboundUpdate.status == InboundStatus.DONE)
            )
        if done - before >= handled:
            break
        await asyncio.sleep(0.05)
    figures = {**counts, **redis_commands}
    figures.pop("checkouts", None)
    checkouts = counts["checkouts"] - 1  # less the count above
    trips = counts["statements"] + counts["begins"] + counts["commits"] + counts["pings"]
    print(
        f"{label:>7}: {handled} draft messages; per message: "
        + ", ".join(f"{name} {value / handled:.2f}" for name, value in sorted(figures.items()))
        + f", checkouts {checkouts / handled:.2f}; database round trips ≈ {trips / handled:.2f}"
    )
    if "-v" in sys.argv:
        for sql, number in statements.most_common():
            print(f"    {number / handled:5.2f}  {sql}")
    await app.inbound.stop()
    await polling
    if storage_redis is not None:
        keys = [key async for key in storage_redis.scan_iter(f"{prefix}:*")]
        if keys:
            await storage_redis.delete(*keys)
    await app.close()
    await fake.stop()


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


async def main(residents: int, messages: int, admin_url: str | None, redis_url: str | None):
    for label, factory in (("before", engine_before), ("now", create_engine)):
        if admin_url is None:
            url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        else:
            url = await new_postgres(admin_url)
        await upgrade_async(url)
        try:
            await run(label, factory, url, redis_url, residents, messages)
        finally:
            if admin_url is not None:
                await drop_postgres(admin_url, url)


if __name__ == "__main__":
    args = [arg for arg in sys.argv[1:] if arg != "-v"]
    asyncio.run(
        main(
            int(args[0]) if args else 30,
            int(args[1]) if len(args) > 1 else 9,
            args[2] if len(args) > 2 else None,
            args[3] if len(args) > 3 else None,
        )
    )
