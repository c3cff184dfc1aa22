"""Fixtures: every database test runs twice, on SQLite with memory storage and on the real
PostgreSQL with the real Redis of this machine. Without those services the second run is
skipped, saying why; with CI=true (or REQUIRE_SERVICES=1) it fails instead. Helpers that test
modules share are in `tests/support/`."""

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.app import create_app
from bot.app import build_application, build_panel
from bot.clock import FrozenClock
from bot.core.directory import load_directory, read_directory
from bot.core.tickets import TicketDesk
from bot.fake_telegram import FakeTelegram
from bot.runners.polling import run_polling
from bot.settings import (
    PACKAGED_LOCALES_DIR,
    AdminSettings,
    DeliverySettings,
    InboundSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
)
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.migrate import upgrade
from tests.support.harness import (
    BOT_TOKEN,
    DEMO_DIRECTORY,
    START,
    Harness,
    deputy_group_chats,
)
from tests.support.panel import served

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")


def blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, even where an event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def services_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


class ServiceUnavailable(pytest.skip.Exception):
    """A skip because PostgreSQL or Redis is down: reported once per service, not per test."""


# The first error met with each service; later skips repeat it word for word.
_first_errors: dict[str, str] = {}


def unavailable(what: str, error: BaseException) -> NoReturn:
    reason = _first_errors.setdefault(what, repr(error))
    message = f"{what} is not reachable ({reason}); start it to run this test on it"
    if services_required():
        pytest.fail(message + " — required because CI=true / REQUIRE_SERVICES=1")
    raise ServiceUnavailable(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """pytest reports a skip raised in a fixture at the test's own line, so `-ra` would list
    each test skipped for a missing service on a line of its own. Placed where `unavailable`
    raised it, with the same reason, every such skip of one service folds into one line."""
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, ServiceUnavailable):
        raised_at = call.excinfo.traceback[-1]
        report.longrepr = (str(raised_at.path), raised_at.lineno + 1, call.excinfo.value.msg)
    return report


async def postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"lsb_test_{uuid.uuid4().hex[:12]}"
    try:
        blocking(postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL}", error)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    blocking(postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped afterwards."""
    with new_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database without any schema, for tests of the migrations themselves."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
        return
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    if backend == "sqlite":
        path = tmp_path / "liaison.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    async with open_database(url) as sessions, sessions.begin() as session:
        tables = await session.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        )
        names = ", ".join(f'"{name}"' for name in tables)
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def redis_prefix() -> str:
    return f"lsb-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_url(backend: str, redis_prefix: str) -> AsyncIterator[str | None]:
    """The real Redis alongside PostgreSQL; none (memory storage) alongside SQLite."""
    if backend == "sqlite":
        yield None
        return
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as error:
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL}", error)
    yield REDIS_URL
    keys = [key async for key in client.scan_iter(f"{redis_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    async with open_database(database_url) as sessions, sessions() as session:
        yield session


@pytest.fixture
async def directory_loaded(database_url: str) -> None:
    async with open_database(database_url) as sessions, sessions.begin() as session:
        await load_directory(session, read_directory(DEMO_DIRECTORY))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def desk(clock: FrozenClock) -> TicketDesk:
    return TicketDesk(clock, Catalogs(PACKAGED_LOCALES_DIR), "Asia/Shanghai")


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """A test that sets logging up as `python -m bot` does leaves the root logger as it found
    it: a handler left on a stream pytest has since closed would write errors into the output
    later tests read."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def outbox_poll_seconds() -> float:
    """The senders' poll; a test that must see them woken by a commit makes it an hour."""
    return 0.2


@pytest.fixture
async def harness(
    database_url: str,
    redis_url: str | None,
    redis_prefix: str,
    directory_loaded: None,
    clock: FrozenClock,
    outbox_poll_seconds: float,
) -> AsyncIterator[Harness]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot", first_name="代表联络站")
    groups = deputy_group_chats(fake)
    base_url = await fake.start()
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=base_url),
        storage=StorageSettings(database_url=database_url, redis_url=redis_url, auto_migrate=False),
        delivery=DeliverySettings(outbox_poll_seconds=outbox_poll_seconds),
        inbound=InboundSettings(inbound_retry_seconds=0.05),  # a failing handler fails fast
        admin=AdminSettings(
            admin_bind=""
        ),  # tests serve the panel themselves (tests/support/panel.py)
    )
    app = build_application(settings, clock, redis_prefix=redis_prefix)
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    harness = Harness(fake, app, groups, polling, redis_prefix)
    yield harness
    # A test may have restarted the bot: stop the one running now.
    app, polling = harness.app, harness.polling
    steps = {
        "stop polling": app.inbound.stop,
        "wait for polling": lambda: polling,
        "close the app": app.close,
        "stop the fake": fake.stop,
    }
    for name, step in steps.items():
        try:
            async with asyncio.timeout(30):
                await step()
        except TimeoutError:
            stacks = "\n".join(
                f"{task.get_name()}: {task.get_stack(limit=8)}" for task in asyncio.all_tasks()
            )
            pytest.fail(f"harness teardown hung at '{name}'; tasks:\n{stacks}")


@pytest.fixture
async def panel_sessions(
    database_url: str, directory_loaded: None
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with open_database(database_url) as sessions:
        yield sessions


@pytest.fixture
def panel_app(
    panel_sessions: async_sessionmaker[AsyncSession],
    redis_url: str | None,
    redis_prefix: str,
    desk: TicketDesk,
) -> web.Application:
    """The staff panel on the test's database (and Redis, beside PostgreSQL)."""
    return create_app(AdminSettings(), panel_sessions, desk, redis_url, f"{redis_prefix}:panel")


@pytest.fixture
def panel(harness: Harness, redis_prefix: str) -> web.Application:
    """The staff panel beside the running bot (its database, clock, desk and senders)."""
    return build_panel(harness.app, f"{redis_prefix}:p")


@pytest.fixture
async def panel_url(panel: web.Application) -> AsyncIterator[str]:
    """That panel served on a free port, for a real browser: its address."""
    async with served(panel) as url:
        yield url
