"""`python -m bot sandbox`: the whole loop in one process, without Telegram.

The fake Bot API (on a free port), the real bot polling it with the sender and the supervisor,
on a fresh SQLite file with the demo directory loaded and memory storage, and the sandbox page.
The staff panel is served beside it, on the next port, with an administrator account made
for the run (its password printed). The application's clock is a movable one, shared with the
fake, so the page can move time ahead; nothing in the bot knows it is in a sandbox.
"""

import asyncio
import contextlib
import logging
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from shapely.geometry import shape

import bot
from bot.app import build_application
from bot.clock import MovableClock
from bot.core.directory import DirectoryFile, load_directory, read_directory
from bot.core.directory.file import walk_areas
from bot.core.directory.receptions import schedule_receptions
from bot.core.receptions import ReceptionDesk
from bot.core.staff import create_account
from bot.fake_telegram import FakeTelegram
from bot.runners.long_lived import freeze_the_long_lived
from bot.runners.polling import run_polling
from bot.sandbox.page import PanelAccess, SandboxClock, build_page
from bot.sandbox.world import BOT_TOKEN, GroupSpec, Place, SandboxWorld, make_world
from bot.settings import (
    AdminSettings,
    Settings,
    StorageSettings,
    SupervisionSettings,
    TelegramSettings,
)
from bot.text.catalogs import Catalogs
from storage import migrate
from storage.db import open_database
from storage.models import AreaKind, StaffRole

log = logging.getLogger(__name__)

DEMO_DIRECTORY = Path(bot.__file__).resolve().parent / "data" / "demo-directory.yaml"
DATABASE_FILE = Path("data") / "sandbox.sqlite3"
# The second group of 海德街道 is a forum in the sandbox, so the page shows topics too.
FORUM_GROUPS = frozenset({"g-hd-2"})
SEA_POINT = (29.9, 122.3)  # the East China Sea: a place outside every area of the demo city
SWEEP_SECONDS = 2.0  # the supervisor looks soon after the clock is moved
ADMIN_LOGIN = "admin"
ADMIN_NAME = "沙盒管理员"


@dataclass
class Sandbox:
    """A running sandbox: where the page is, and how to stop it."""

    page_url: str
    api_url: str  # the fake Bot API's base URL
    world: SandboxWorld
    clock: MovableClock
    stop: Callable[[], Awaitable[None]]  # stops and waits until everything is closed
    stopping: asyncio.Event  # set it to have the polling end (what SIGINT and SIGTERM do)
    panel: PanelAccess  # the staff panel, and the administrator made for this run


def group_specs(directory: DirectoryFile) -> list[GroupSpec]:
    """The deputy groups' chats, then the streets' staff chats (人大工委), which hear of
    overdue tickets."""
    deputy_groups = [
        GroupSpec(
            chat_id=group.chat_id,
            title=group.name,
            deputies=tuple(
                (deputy.telegram_user_id, deputy.name)
                for deputy in directory.deputies
                if group.code in deputy.groups and deputy.telegram_user_id
            ),
            is_forum=group.code in FORUM_GROUPS,
        )
        for group in directory.deputy_groups
        if group.chat_id is not None
    ]
    staff_chats = [
        GroupSpec(chat_id=area.staff_chat_id, title=f"{area.name}人大工委", deputies=())
        for _, area, _ in walk_areas(directory.areas)
        if area.staff_chat_id is not None
    ]
    return deputy_groups + staff_chats


def demo_places(directory: DirectoryFile) -> list[Place]:
    """A point inside each community (or village) with a boundary, and one at sea, outside
    every area: what a resident may share from the page's list."""
    places = [
        Place(area.name, point.y, point.x)
        for _, area, _ in walk_areas(directory.areas)
        if area.kind == AreaKind.COMMUNITY and area.code in directory.boundaries
        for point in [shape(directory.boundaries[area.code]).representative_point()]
    ]
    return [*places, Place(None, *SEA_POINT)]


def sandbox_settings(settings: Settings, api_url: str, database: Path, panel_bind: str) -> Settings:
    """The settings read from the environment, with what makes the sandbox a sandbox: the
    fake's bot and address, a SQLite file of its own, memory storage, a prompt supervisor,
    the staff panel beside the page."""
    return settings.model_copy(
        update={
            "telegram": TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=api_url),
            "storage": StorageSettings(
                database_url=f"sqlite+aiosqlite:///{database}", redis_url=None
            ),
            "supervision": SupervisionSettings(
                digest_time=settings.supervision.digest_time,
                supervision_sweep_seconds=SWEEP_SECONDS,
            ),
            "admin": AdminSettings(admin_bind=panel_bind),
        }
    )


async def start_sandbox(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8080,
    database: Path = DATABASE_FILE,
    *,
    handle_signals: bool = False,
    panel_port: int | None = None,
) -> tuple[Sandbox, asyncio.Task[None]]:
    """Start everything; returns the sandbox and the task that polls until it is stopped.
    The panel takes `panel_port`, by default the page's port + 1 (a free one if port is 0)."""
    clock = MovableClock()
    fake = FakeTelegram(clock=clock.timestamp)
    directory = read_directory(DEMO_DIRECTORY)
    world = make_world(fake, group_specs(directory))
    world.places = demo_places(directory)
    api_url = await fake.start(host)
    if panel_port is None:
        panel_port = port + 1 if port else _free_port(host)
    _must_be_free(host, panel_port)
    settings = sandbox_settings(settings, api_url, database, f"{host}:{panel_port}")
    password = secrets.token_urlsafe(12)  # 16 characters, new at each start
    database.unlink(missing_ok=True)  # a fresh start: the fake's world is new every time
    await migrate.upgrade_async(settings.storage.database_url)
    async with (
        open_database(settings.storage.database_url) as sessions,
        sessions.begin() as session,
    ):
        await load_directory(session, directory)
        # The demo's month of receptions, laid out from the sandbox's own today.
        catalogs = Catalogs(settings.text.locales_dir, settings.text.default_locale)
        desk = ReceptionDesk(clock, catalogs, settings.text.timezone)
        await schedule_receptions(session, desk, directory.receptions)
        await create_account(
            session, ADMIN_LOGIN, ADMIN_NAME, password, StaffRole.ADMINISTRATOR, clock.now()
        )
    panel = PanelAccess(f"http://{host}:{panel_port}/login", ADMIN_LOGIN, password)
    app = build_application(settings, clock)
    page_clock = SandboxClock(clock.now, clock.advance, settings.text.timezone)
    page = build_page(world, page_clock, app.catalogs, panel)
    runner = web.AppRunner(page, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    polling = asyncio.create_task(run_polling(app, handle_signals=handle_signals))
    await _listening(host, panel_port, polling)  # the panel is one of the polling's services

    async def stop() -> None:
        await app.inbound.stop()
        await polling
        await runner.cleanup()
        await app.close()
        await fake.stop()

    page_url = f"http://{host}:{bound_port}/"
    sandbox = Sandbox(page_url, api_url, world, clock, stop, app.inbound.stopping, panel)
    return sandbox, polling


async def _listening(host: str, port: int, polling: asyncio.Task[None]) -> None:
    """Wait until something answers at host:port (while the polling runs, up to a minute)."""
    async with _or_fail(f"the staff panel did not start listening at {host}:{port}"):
        while not polling.done():
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


@contextlib.asynccontextmanager
async def _or_fail(problem: str, seconds: float = 60) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise OSError(f"{problem} within {seconds:g} s") from None


def _must_be_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"the staff panel's port {port} is taken ({error.strerror})") from None


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def run_sandbox(settings: Settings, host: str, port: int) -> int:
    # Every Bot API call would be a line of the access log: the page shows them better.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    async def serve() -> None:
        sandbox, polling = await start_sandbox(settings, host, port)
        freeze_the_long_lived()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, sandbox.stopping.set)
        print(
            f"Sandbox ready: open {sandbox.page_url} in a browser (Ctrl-C stops it). "
            "No message goes to Telegram.\n"
            f"Staff panel: {sandbox.panel.url} (administrator {sandbox.panel.login}, password "
            f"{sandbox.panel.password}; a new one at each start).",
            flush=True,
        )
        try:
            await polling  # until SIGINT or SIGTERM
        finally:
            await sandbox.stop()

    try:
        asyncio.run(serve())
    except OSError as error:  # the port is taken, most likely
        print(f"The sandbox could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log.info("interrupted")
        return 130
    return 0
