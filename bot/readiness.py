"""What /healthz and /readyz answer on every HTTP process: the bot's (`bot.runners.status`)
and the staff panel's (`admin.views.health`). No log-in, no session, no personal data.

/healthz answers as long as the event loop does. /readyz answers 200 only when the database
and Redis (when configured) answer and the schema is at the migrations' head; 503 otherwise,
with what failed, so a load balancer sends nothing to a process that could not serve it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.queries.status import ping, schema_revision

log = logging.getLogger(__name__)

CHECK_SECONDS = 5  # a dependency slower than this counts as down


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readiness(
    sessions: async_sessionmaker[AsyncSession],
    redis_ping: Callable[[], Awaitable[Any]] | None,
    heads: str,
    who: str,
) -> web.Response:
    """/readyz's answer for a process reading `sessions` (and pinging Redis when it uses it),
    whose code expects the schema at `heads`; `who` names the process in the log."""

    async def database() -> str | None:
        async with sessions() as session:
            await ping(session)
        return None

    async def redis() -> str | None:
        if redis_ping is not None:
            await redis_ping()
        return None

    async def schema() -> str | None:
        async with sessions() as session:
            current = await schema_revision(session)
        if current != heads:
            return f"schema at {current}, expected {heads}: run `python -m bot migrate`"
        return None

    problems = {}
    for name, check in (("database", database), ("redis", redis), ("migrations", schema)):
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                problem = await check()
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"[:300]
        if problem:
            problems[name] = problem
    if problems:
        log.warning("%s is not ready: %s", who, problems)
        return web.json_response({"status": "not ready", "problems": problems}, status=503)
    return web.json_response({"status": "ready"})
