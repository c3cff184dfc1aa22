"""Updates that reached the bot are never lost: each is recorded in the database before it is
confirmed to Telegram (polling: before the next getUpdates offset; a webhook: before it is
answered), then processed from its record. One person's updates are handed to the dispatcher
in the order they came; its per-person isolation keeps them one at a time in that order. A
redelivered update finds its record and is not handed out again; the transaction that
processes an update marks it done (`handlers/middlewares/transaction.py`), retries it a
bounded number of times, and keeps it as failed with its error after the last attempt.
Updates recorded but not processed when the process stopped are processed when it starts."""

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.logs import UPDATE_ID
from bot.metrics import UPDATES_FAILED, UPDATES_HANDLED, UPDATES_RECEIVED
from bot.settings import InboundSettings
from bot.telegram.isolation import TURN_TAKEN
from storage.queries.inbound import not_done, prune_processed, record_updates, take_interrupted

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)


def raw_update(update: Update) -> dict[str, Any]:
    """The update as Telegram sends it (JSON, Telegram's field names)."""
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


class Inbound:
    """Records updates, hands them to the dispatcher, and keeps the records tidy."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        bot: Bot,
        clock: Clock,
        settings: InboundSettings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        self.bot = bot
        self.clock = clock
        self.settings = settings
        self.stopping = asyncio.Event()
        self._processing: set[asyncio.Task[None]] = set()
        self._pruned_at = clock.now() - PRUNE_EVERY

    async def receive(self, updates: Iterable[Update], wait_for_turn: float = 0) -> None:
        """Records the updates and starts processing those not seen before. Once it returns,
        the updates may be confirmed to Telegram; if it raises, they must not be.

        With `wait_for_turn` (a webhook, where the next update may reach another process) it
        returns only once each new update holds its person's lock or is done, waiting at
        most that many seconds: Telegram sends a chat's next update only after this one is
        answered, so it queues behind it and one person's updates keep their order."""
        updates = sorted(updates, key=lambda update: update.update_id)
        if not updates:
            return
        async with self.sessionmaker.begin() as session:
            new = await record_updates(
                session,
                self.bot.id,
                [(update.update_id, raw_update(update)) for update in updates],
                self.clock.now(),
            )
            # Sent again and still pending: whoever received it first stopped before it was
            # answered (a webhook process stopped or died). Taken up here; if it is still in
            # hand elsewhere, its claim makes this one wait, then skip it.
            again = [u.update_id for u in updates if u.update_id not in new]
            orphans = await not_done(session, self.bot.id, again) if again else set()
        UPDATES_RECEIVED.inc(len(new))
        new |= orphans - self._in_hand
        turns: list[asyncio.Future[object]] = []
        for update in updates:
            if update.update_id not in new:
                log.info("update %s was received before; not handed out again", update.update_id)
                continue
            taken = asyncio.Event()
            token = TURN_TAKEN.set(taken)  # the task starts with a copy of this context
            task = self._start(update)
            TURN_TAKEN.reset(token)
            turns.append(asyncio.ensure_future(_first_of(task, taken)))
        if wait_for_turn and turns:
            _, late = await asyncio.wait(turns, timeout=wait_for_turn)
            for turn in late:
                turn.cancel()
        else:
            for turn in turns:
                turn.cancel()

    async def resume(self) -> int:
        """Starts processing the updates recorded and not processed before the process
        stopped, oldest first; call before receiving new ones. How many there were."""
        async with self.sessionmaker.begin() as session:
            records = await take_interrupted(
                session, self.bot.id, self.settings.inbound_max_attempts
            )
        for record in records:
            self._start(Update.model_validate(record.payload, context={"bot": self.bot}))
        if records:
            log.info("processing %d update(s) received before the restart", len(records))
        return len(records)

    async def prune(self, force: bool = False) -> None:
        """Forgets updates processed more than `inbound_keep_days` ago (at most hourly)."""
        now = self.clock.now()
        if not force and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self.sessionmaker.begin() as session:
            pruned = await prune_processed(
                session, now - timedelta(days=self.settings.inbound_keep_days)
            )
        if pruned:
            log.info("forgot %d processed update(s)", pruned)

    async def stop(self) -> None:
        """Stops receiving; the runner then lets the updates in hand finish."""
        self.stopping.set()

    async def drain(self, timeout: float) -> None:
        """Waits for the updates in hand; those still running after `timeout` are cancelled
        (they stay recorded as pending and are processed at the next start)."""
        if not self._processing:
            return
        _, late = await asyncio.wait(set(self._processing), timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            log.warning(
                "%d update(s) still running were cancelled; kept for the next start", len(late)
            )
            await asyncio.wait(late)

    @property
    def idle(self) -> bool:
        """No update in hand: every one received has been handled, its answers given."""
        return not self._processing

    @property
    def _in_hand(self) -> set[int]:
        return {int(task.get_name().removeprefix("update ")) for task in self._processing}

    def _start(self, update: Update) -> asyncio.Task[None]:
        task = asyncio.create_task(self._process(update), name=f"update {update.update_id}")
        self._processing.add(task)
        task.add_done_callback(self._processing.discard)
        return task

    async def _process(self, update: Update) -> None:
        UPDATE_ID.set(update.update_id)  # every log line of its handling names it
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            # Already kept as failed, with its error, by the transaction middleware.
            UPDATES_FAILED.inc()
            log.exception("update %s failed for good", update.update_id)
        else:
            UPDATES_HANDLED.inc()


async def _first_of(task: asyncio.Task[None], taken: asyncio.Event) -> None:
    """Returns once the update's task holds its person's lock, or has ended."""
    waiting = asyncio.ensure_future(taken.wait())
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
