"""The panel's transactions: a staff member's step commits in one, and when it queued a
message (an answer, a notice to the resident, a card) the senders are woken by the commit,
here and in other processes, instead of finding the row at their next poll."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from admin.keys import SESSIONS, WAKE_SENDER
from bot.delivery.outbox import QUEUED


@asynccontextmanager
async def transaction(request: web.Request) -> AsyncIterator[AsyncSession]:
    async with request.app[SESSIONS].begin() as db:
        yield db
    if db.info.get(QUEUED):
        request.app[WAKE_SENDER]()
