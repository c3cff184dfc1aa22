"""One database session per update, committed when the handler is done; a redelivered update
is skipped. It runs inside the FSM's event isolation, so one person's updates come one at a
time."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.telegram.updates import claim_update

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Transaction(BaseMiddleware):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        after_commit: Callable[[], None],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.after_commit = after_commit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.sessionmaker() as session:
            if not await claim_update(session, event.update_id, self.clock.now()):
                log.info("update %s was already processed; skipped", event.update_id)
                return UNHANDLED
            data["session"] = session
            result = await handler(event, data)
            await session.commit()
        self.after_commit()
        return result
