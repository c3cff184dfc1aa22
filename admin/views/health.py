"""/healthz and /readyz on the panel's own port, for a load balancer or a monitor, with the
same checks as every HTTP process of the bot (`bot.readiness`)."""

from aiohttp import web

from admin.keys import HEADS, REDIS, SESSIONS
from bot.readiness import healthz, readiness

__all__ = ["healthz", "readyz"]


async def readyz(request: web.Request) -> web.Response:
    redis = request.app.get(REDIS)
    return await readiness(
        request.app[SESSIONS],
        redis.ping if redis is not None else None,
        request.app[HEADS],
        "the panel",
    )
