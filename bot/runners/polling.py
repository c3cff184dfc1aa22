"""Long polling: updates are fetched from the Bot API, recorded, and only then confirmed (by
the offset of the next getUpdates), so a crash at any moment loses none; the application's
background services (the outbox sender, the supervisor) run beside it in the same process
until it is stopped (SIGTERM, SIGINT, or `app.inbound.stop()`)."""

import asyncio
import logging
import signal
from collections.abc import Coroutine
from contextlib import suppress
from typing import Any

from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.app import Application
from bot.telegram.commands import publish_command_menus

log = logging.getLogger(__name__)

STOP_SECONDS = 10
POLL_SECONDS = 30  # how long one getUpdates waits for an update
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


async def run_polling(app: Application, handle_signals: bool = True) -> None:
    await app.bot.delete_webhook(drop_pending_updates=False)
    await publish_command_menus(app.bot, app.catalogs)
    loop = asyncio.get_running_loop()
    if handle_signals:
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, app.inbound.stopping.set)
    running = [
        asyncio.create_task(service.run(), name=type(service).__name__) for service in app.services
    ]
    try:
        await app.inbound.resume()
        await _poll(app)
    finally:
        if handle_signals:
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(stop_signal)
        await app.inbound.drain(STOP_SECONDS)
        for service in app.services:
            service.stop()  # each finishes the work in hand: nothing is cut off mid-send
        _, late = await asyncio.wait(running, timeout=STOP_SECONDS)
        for task in late:
            log.warning("%s did not stop within %ss; cancelled it", task.get_name(), STOP_SECONDS)
            task.cancel()


async def _poll(app: Application) -> None:
    """Fetch, record, confirm, until stopped. A batch that cannot be recorded is not
    confirmed: Telegram hands it out again at the next getUpdates."""
    me = await app.bot.me()
    log.info("polling for @%s", me.username)
    stopping = app.inbound.stopping
    get_updates = GetUpdates(
        timeout=POLL_SECONDS, allowed_updates=app.dispatcher.resolve_used_update_types()
    )
    timeout = int(app.bot.session.timeout + POLL_SECONDS)
    backoff = FIRST_BACKOFF_SECONDS
    while not stopping.is_set():
        try:
            updates = await _until_stopped(app.bot(get_updates, request_timeout=timeout), stopping)
            if updates is None:
                return
            await app.inbound.receive(updates)
            await app.inbound.prune()
        except Exception as error:  # the Bot API or the database away: wait, then again
            log.warning("polling failed (%r); trying again in %gs", error, backoff)
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        backoff = FIRST_BACKOFF_SECONDS
        if updates:
            get_updates.offset = max(update.update_id for update in updates) + 1


async def _until_stopped(
    fetching: Coroutine[Any, Any, list[Update]], stopping: asyncio.Event
) -> list[Update] | None:
    """The updates fetched, or None when stopped first (the long poll is abandoned)."""
    fetch = asyncio.ensure_future(fetching)
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if fetch.done():
        return fetch.result()
    fetch.cancel()
    with suppress(asyncio.CancelledError):
        await fetch
    return None
