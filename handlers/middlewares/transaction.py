"""One database transaction per update, owned here: handlers never commit. The transaction
marks the update's record done, so the work and the mark commit together and a redelivered
update is skipped. A handler that fails is rolled back and tried again (its failure noted on
the record) up to `inbound_max_attempts`; after the last, the update is kept as failed and the
error goes on to the error handler (the apology). What must happen only once the work is
durable (telling a resident their number, clearing a submitted draft) is handed to
`after_commit` and runs after the commit, with the session already returned to the pool. It
runs inside the FSM's event isolation, so one person's updates come one at a time, retries
included."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.outbox import QUEUED
from bot.settings import InboundSettings
from bot.telegram.inbound import raw_update
from storage.models import InboundStatus
from storage.queries.inbound import claim_update, note_failure

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FollowUp = Callable[[], Awaitable[Any]]
AfterCommit = Callable[[FollowUp], None]


async def run_follow_ups(follow_ups: list[FollowUp]) -> None:
    """Every follow-up runs, even when one before it failed (the work is committed; each says
    its own part); the first failure then goes on to the error handler."""
    failures: list[Exception] = []
    for follow_up in follow_ups:
        try:
            await follow_up()
        except Exception as error:
            failures.append(error)
    if failures:
        raise failures[0]


class Transaction(BaseMiddleware):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_commit: Callable[[], None],
        settings: InboundSettings,
        at_once: int | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.on_commit = on_commit
        self.settings = settings
        # Updates that hold a database connection at once: fewer than the pool has, so that
        # recording the next batch (and the sender) never queue behind a burst of updates.
        self.at_once = asyncio.Semaphore(at_once) if at_once else None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        delay = self.settings.inbound_retry_seconds
        while True:
            follow_ups: list[FollowUp] = []
            try:
                async with self._slot(), self.sessionmaker() as session:
                    claimed = await claim_update(
                        session, bot.id, event.update_id, raw_update(event), self.clock.now()
                    )
                    if not claimed:
                        log.info("update %s was already processed; skipped", event.update_id)
                        return UNHANDLED
                    data["session"] = session
                    data["after_commit"] = follow_ups.append
                    result = await handler(event, data)
                    await session.commit()
                    queued = bool(session.info.get(QUEUED))
                break
            except Exception as error:
                if await self._note_failure(bot.id, event, error) == InboundStatus.FAILED:
                    raise
                log.warning(
                    "update %s failed (%r); trying again in %gs", event.update_id, error, delay
                )
                await asyncio.sleep(delay)
                delay *= 2
        if queued:  # wake the senders only for something to send
            self.on_commit()
        await run_follow_ups(follow_ups)
        return result

    def _slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.at_once if self.at_once is not None else contextlib.nullcontext()

    async def _note_failure(self, bot_id: int, event: Update, error: Exception) -> InboundStatus:
        async with self.sessionmaker.begin() as session:
            return await note_failure(
                session,
                bot_id,
                event.update_id,
                raw_update(event),
                f"{type(error).__name__}: {error}",
                self.settings.inbound_max_attempts,
                self.clock.now(),
            )
