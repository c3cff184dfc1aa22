"""/healthz, /readyz and /metrics, on the webhook's own port and, when STATUS_PORT is set, on
a small server of their own for the other roles. The staff panel serves /healthz and /readyz
on its own port as well (`admin.views.health`, the same checks without the bot).

What /healthz and /readyz answer is `bot.readiness`: a load balancer sends no updates to a
receiver that could not record them."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiogram.fsm.storage.redis import RedisStorage
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.app import Application
from bot.core.workflow import WITH_GROUP
from bot.metrics import REQUEST_SECONDS, read_database_gauges
from bot.readiness import CHECK_SECONDS, healthz, readiness
from storage.schema import heads

log = logging.getLogger(__name__)

APPLICATION = web.AppKey("application", Application)
HEADS = web.AppKey("heads", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def readyz(request: web.Request) -> web.Response:
    app = request.app[APPLICATION]
    storage = app.dispatcher.storage
    redis_ping = storage.redis.ping if isinstance(storage, RedisStorage) else None
    return await readiness(app.sessionmaker, redis_ping, request.app[HEADS], "this process")


async def metrics(request: web.Request) -> web.Response:
    app = request.app[APPLICATION]
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await read_database_gauges(app.sessionmaker, app.clock.now(), WITH_GROUP)
    except Exception as error:  # the counters still tell something; the gauges keep their last
        log.warning("metrics: the database could not be read (%r)", error)
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def timed(app_name: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """A middleware recording each request's latency in `liaison_http_request_seconds`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            REQUEST_SECONDS.labels(app_name).observe(time.perf_counter() - started)

    return middleware


def add_status_routes(web_app: web.Application, app: Application) -> None:
    web_app[APPLICATION] = app
    web_app[HEADS] = ",".join(sorted(heads()))
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)


async def serve_status(app: Application, host: str, port: int) -> web.AppRunner:
    """The status server of a process that has no other; the caller cleans the runner up."""
    web_app = web.Application()
    add_status_routes(web_app, app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("status on http://%s:%s (/healthz, /readyz, /metrics)", host, port)
    return runner
