"""The panel's application factory, and the service that serves it beside the bot."""

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import i18n
from admin.cache import PublicCache
from admin.keys import (
    CATALOGS,
    CLOCK,
    HEADS,
    PUBLIC_CACHE,
    RECEPTIONS,
    REDIS,
    SESSIONS,
    SETTINGS,
    STAFF_DESK,
    THROTTLE,
    TIMEZONE,
    WAKE_SENDER,
)
from admin.routes import setup_routes
from admin.security import FORM_MAX_SIZE, authorize, csrf, security_headers, upload_limits
from admin.sessions import session_storage
from admin.throttle import LoginThrottle, throttle_storage
from bot.core.receptions import ReceptionDesk
from bot.core.staff_desk import StaffDesk
from bot.core.tickets import TicketDesk
from bot.settings import AdminSettings
from storage.schema import heads

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"


def create_app(
    settings: AdminSettings,
    sessions: async_sessionmaker[AsyncSession],
    desk: TicketDesk,
    redis_url: str | None = None,
    key_prefix: str = "panel",
    wake_sender: Callable[[], None] = lambda: None,
) -> web.Application:
    redis = Redis.from_url(redis_url) if redis_url else None
    app = web.Application(
        middlewares=[
            upload_limits,
            security_headers,
            session_middleware(session_storage(settings, sessions, desk.clock, redis)),
            csrf,
            authorize,
        ],
        client_max_size=FORM_MAX_SIZE,
    )
    app[SESSIONS] = sessions
    app[WAKE_SENDER] = wake_sender
    app[STAFF_DESK] = StaffDesk(desk)
    app[RECEPTIONS] = ReceptionDesk(desk.clock, desk.catalogs, desk.timezone)
    app[CATALOGS] = desk.catalogs
    app[CLOCK] = desk.clock
    app[SETTINGS] = settings
    app[TIMEZONE] = desk.timezone
    app[PUBLIC_CACHE] = PublicCache()
    app[THROTTLE] = LoginThrottle(throttle_storage(redis_url, f"{key_prefix}:login"))
    app[HEADS] = ",".join(sorted(heads()))
    if redis is not None:
        app[REDIS] = redis
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
    )
    i18n.install(env)
    setup_routes(app)
    if redis is not None:

        async def close_redis(_: web.Application) -> None:
            await redis.aclose()

        app.on_cleanup.append(close_redis)
    return app


class PanelService:
    """Serves the panel at ADMIN_BIND until stopped (a background service of `run`). An
    address in use is logged and leaves the bot running without its panel."""

    def __init__(self, app: web.Application, settings: AdminSettings) -> None:
        self.app = app
        self.settings = settings
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        host, port = self.settings.host_and_port
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            log.error("the staff panel cannot listen at %s (%s)", self.settings.admin_bind, error)
            await runner.cleanup()
            return
        log.info("staff panel at http://%s", self.settings.admin_bind)
        try:
            await self.stopping.wait()
        finally:
            await runner.cleanup()

    def stop(self) -> None:
        self.stopping.set()
