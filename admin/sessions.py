"""Server-side sessions (aiohttp-session): in Redis when configured, in the database
otherwise. The cookie holds only a random key; it is HttpOnly, SameSite=Lax, and Secure when
the panel is served over HTTPS."""

import json
import secrets
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp_session import AbstractStorage, Session
from aiohttp_session.redis_storage import RedisStorage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.settings import AdminSettings
from storage.queries import panel_sessions

COOKIE = "panel_session"


def _key() -> str:
    return secrets.token_urlsafe(32)


class DatabaseStorage(AbstractStorage):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, **cookie: Any
    ) -> None:
        super().__init__(**cookie)
        self.sessions = sessions
        self.clock = clock

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        data = None
        if key:
            async with self.sessions() as session:
                data = await panel_sessions.load(session, str(key)[:64], self.clock.now())
        if data is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(key, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        key = session.identity or _key()
        async with self.sessions.begin() as db:
            if session.empty:
                await panel_sessions.forget(db, key)
                self.save_cookie(response, "", max_age=session.max_age)
                return
            data = json.loads(json.dumps(self._get_session_data(session)))
            expires = self.clock.now() + timedelta(seconds=self.max_age or 0)
            await panel_sessions.save(db, key, data, expires)
        self.save_cookie(response, key, max_age=session.max_age)


def session_storage(
    settings: AdminSettings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    redis: Redis | None,
) -> AbstractStorage:
    cookie: dict[str, Any] = {
        "cookie_name": COOKIE,
        "max_age": int(settings.admin_session_hours * 3600),
        "httponly": True,
        "secure": settings.admin_https,
        "samesite": "Lax",
    }
    if redis is not None:
        return RedisStorage(redis, key_factory=_key, **cookie)
    return DatabaseStorage(sessions, clock, **cookie)
