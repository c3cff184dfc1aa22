"""/healthz and /readyz on the panel's own port, for a load balancer or a monitor, as every
HTTP process of the bot serves them (bot.runners.status): no log-in, no session, no personal
data. /healthz answers as long as the event loop does; /readyz answers 200 only when the
database and Redis (when configured) answer and the schema is at the migrations' head, 503
otherwise with what failed."""

import asyncio
import logging

from aiohttp import web

from admin.keys import HEADS, REDIS, SESSIONS
from storage.queries.status import ping, schema_revision

log = logging.getLogger(__name__)

CHECK_SECONDS = 5  # a dependency slower than this counts as down


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    problems = {}
    for name, check in (("database", _database), ("redis", _redis), ("migrations", _schema)):
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                problem = await check(request)
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"[:300]
        if problem:
            problems[name] = problem
    if problems:
        log.warning("the panel is not ready: %s", problems)
        return web.json_response({"status": "not ready", "problems": problems}, status=503)
    return web.json_response({"status": "ready"})


async def _database(request: web.Request) -> str | None:
    async with request.app[SESSIONS]() as session:
        await ping(session)
    return None


async def _redis(request: web.Request) -> str | None:
    if (redis := request.app.get(REDIS)) is not None:
        await redis.ping()
    return None


async def _schema(request: web.Request) -> str | None:
    async with request.app[SESSIONS]() as session:
        current = await schema_revision(session)
    expected = request.app[HEADS]
    if current != expected:
        return f"schema at {current}, expected {expected}: run `python -m bot migrate`"
    return None
