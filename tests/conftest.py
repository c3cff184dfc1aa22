"""Fixtures: every database test runs twice, on SQLite with memory storage and on the real
PostgreSQL with the real Redis of this machine. Without those services the second run is
skipped, saying why; with CI=true (or REQUIRE_SERVICES=1) it fails instead."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Application, build_application
from bot.clock import FrozenClock
from bot.core.directory import load_directory, read_directory
from bot.fake_telegram import FakeChat, FakeTelegram
from bot.runners.polling import run_polling
from bot.settings import (
    PROJECT_ROOT,
    DeliverySettings,
    Settings,
    StorageSettings,
    TelegramSettings,
)
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import OutboxMessage, OutboxStatus

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DEMO_DIRECTORY = PROJECT_ROOT / "bot" / "data" / "demo-directory.yaml"
# A fixed moment (Beijing time 18:30) so ticket numbers and times are known.
T = TypeVar("T")
START = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


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


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped afterwards."""
    name = f"lsb_test_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    try:
        blocking(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL}", error)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    blocking(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


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
    engine = create_engine(url)
    async with engine.begin() as connection:
        tables = await connection.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        )
        names = ", ".join(f'"{name}"' for name in tables)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


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
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
async def directory_loaded(database_url: str) -> None:
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        await load_directory(session, read_directory(DEMO_DIRECTORY))
        await session.commit()
    await engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


BOT_TOKEN = "123456:TEST-liaison-station"
STAFF_BASE = 9000000000  # user ids of the street committee's staff in the group chats


@dataclass
class Harness:
    """The bot running against the fake Bot API, as residents and deputies would meet it."""

    fake: FakeTelegram
    app: Application
    groups: dict[int, FakeChat]

    async def bot_says(
        self, chat_id: int, containing: str, after: int = 0, timeout: float = 10
    ) -> dict[str, Any]:
        """Wait for the bot's newest message in the chat (sent or edited) that contains the
        text, among those after message id `after`."""

        def found() -> dict[str, Any] | None:
            return next(
                (
                    m
                    for m in reversed(self.fake.bot_messages(chat_id))
                    if m["message_id"] > after and containing in m.get("text", "")
                ),
                None,
            )

        await self.fake.wait_for(lambda: found() is not None, timeout=timeout)
        message = found()
        assert message is not None
        return message

    async def outbox_settled(self, timeout: float = 10) -> None:
        """Wait until the sender has recorded the outcome of every outbox row (the fake shows a
        message a moment before the sender commits that it was sent)."""
        async with asyncio.timeout(timeout):
            while True:
                async with self.app.sessionmaker() as session:
                    pending = await session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == OutboxStatus.PENDING)
                    )
                if pending == 0:
                    return
                await asyncio.sleep(0.05)

    async def press(self, user: Any, message: dict[str, Any], label: str) -> str:
        """Press the inline button with this label under the message."""
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = {button["text"]: button["callback_data"] for row in rows for button in row}
        assert label in buttons, f"no button {label!r}; there are {list(buttons)}"
        return await user.press(message, callback_data=buttons[label])


def deputy_group_chats(fake: FakeTelegram) -> dict[int, FakeChat]:
    """The demo directory's group chats, each with its deputies and one staff member."""
    directory = read_directory(DEMO_DIRECTORY)
    deputies = {
        d.code: fake.user(user_id=d.telegram_user_id, first_name=d.name)
        for d in directory.deputies
        if d.telegram_user_id
    }
    chats = {}
    for number, group in enumerate(directory.deputy_groups, start=1):
        assert group.chat_id is not None
        members = [deputies[d.code] for d in directory.deputies if group.code in d.groups]
        staff = fake.user(user_id=STAFF_BASE + number, first_name="工委", last_name="联络员")
        chats[group.chat_id] = fake.group(group.chat_id, group.name, [*members, staff])
    return chats


@pytest.fixture
async def harness(
    database_url: str,
    redis_url: str | None,
    redis_prefix: str,
    directory_loaded: None,
    clock: FrozenClock,
) -> AsyncIterator[Harness]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot", first_name="代表联络站")
    groups = deputy_group_chats(fake)
    base_url = await fake.start()
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=base_url),
        storage=StorageSettings(database_url=database_url, redis_url=redis_url, auto_migrate=False),
        delivery=DeliverySettings(outbox_poll_seconds=0.2),
    )
    app = build_application(settings, clock, redis_prefix=redis_prefix)
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    yield Harness(fake, app, groups)
    steps = {
        "stop polling": app.dispatcher.stop_polling,
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
