"""One database transaction per update, owned here: handlers never commit. What must happen
only once the work is durable (telling a resident their number, clearing a submitted draft)
is handed to `after_commit` and runs after the commit. A redelivered update is skipped. It
runs inside the FSM's event isolation, so one person's updates come one at a time."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.telegram.updates import claim_update

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FollowUp = Callable[[], Awaitable[Any]]
AfterCommit = Callable[[FollowUp], None]


class Transaction(BaseMiddleware):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_commit: Callable[[], None],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.on_commit = on_commit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        follow_ups: list[FollowUp] = []
        async with self.sessionmaker() as session:
            if not await claim_update(session, bot.id, event.update_id, self.clock.now()):
                log.info("update %s was already processed; skipped", event.update_id)
                return UNHANDLED
            data["session"] = session
            data["after_commit"] = follow_ups.append
            result = await handler(event, data)
            await session.commit()
        self.on_commit()
        for follow_up in follow_ups:
            await follow_up()
        return result
