"""Waking the senders when a transaction has queued something, in this process and in every
other one: on PostgreSQL with `NOTIFY outbox` after the commit and a connection that `LISTEN`s
(asyncpg), so a row committed anywhere is sent within a fraction of a second instead of at the
next poll. On SQLite (one process) the local wake is all there is. The poll stays as the net
under both: a lost notification delays a row by at most `OUTBOX_POLL_SECONDS`.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "outbox"
PING_SECONDS = 30.0  # how often the listening connection is checked
RECONNECT_SECONDS = (0.5, 30.0)  # the first wait after a lost listening connection, the most


class OutboxWakeup:
    """`publish` after a commit (the transaction middleware's `on_commit`); `run` as a
    background service listens for other processes' commits and wakes the local sender."""

    def __init__(self, engine: AsyncEngine, wake: Callable[[], None]) -> None:
        self.engine = engine
        self.wake = wake
        self.shared = engine.dialect.name == "postgresql"
        self._stopping = asyncio.Event()
        self._publishing: set[asyncio.Task[None]] = set()
        self.listening = asyncio.Event()  # set while other processes' commits are heard

    def publish(self) -> None:
        self.wake()
        if self.shared:
            task = asyncio.get_running_loop().create_task(self._notify())
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)

    async def _notify(self) -> None:
        await notify_senders(self.engine)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        if not self.shared:
            await self._stopping.wait()
            return
        delay = RECONNECT_SECONDS[0]
        while not self._stopping.is_set():
            try:
                await self._listen()
                delay = RECONNECT_SECONDS[0]
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("outbox listener lost (%r); reconnecting in %.1f s", error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, RECONNECT_SECONDS[1])
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)

    async def _listen(self) -> None:
        url = self.engine.url.set(drivername="postgresql")
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            await connection.add_listener(CHANNEL, lambda *_: self.wake())
            self.listening.set()
            self.wake()  # what was committed while nobody listened
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), PING_SECONDS)
                await connection.execute("SELECT 1")  # a dead connection raises here
        finally:
            self.listening.clear()
            if not connection.is_closed():
                await connection.close(timeout=5)


async def notify_senders(engine: AsyncEngine) -> None:
    """Wake the senders of every process (PostgreSQL); what has no sender of its own, the
    command line, calls it after a commit that queued a message."""
    if engine.dialect.name != "postgresql":
        return
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"NOTIFY {CHANNEL}"))
            await connection.commit()
    except Exception:
        log.warning("could not notify other senders; they find the row at their next poll")
