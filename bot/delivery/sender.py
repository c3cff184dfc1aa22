"""The sender: delivers the outbox's rows through a channel.

Delivery is at least once: a row is leased before it is sent and marked sent afterwards, so a
crash in between sends it again rather than never. A failure is retried with backoff; a row
that cannot be delivered keeps its reason and stays visible as failed, never dropped.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage.models import MessageLink, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=2)


class RetryLater(Exception):
    """The channel could not deliver now; try again after `seconds` (None: use backoff)."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Undeliverable(Exception):
    """The channel refused the message for good (blocked bot, unknown chat, bad request)."""


class Channel(Protocol):
    async def deliver(self, message: OutboxMessage) -> int:
        """Send the message; return the id the chat gave it, or raise RetryLater/Undeliverable."""
        ...


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))


@dataclass
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    channel: Channel
    clock: Clock
    poll_seconds: float = 2.0
    batch_size: int = 50

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand, then return from run(): nothing is cut off mid-send."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a wake during a round triggers the next one.
            self._wake.clear()
            try:
                delivered = await self.deliver_due()
            except Exception:
                log.exception("outbox round failed; retrying after the poll interval")
                delivered = 0
            if delivered:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many rows were attempted."""
        rows = await self._lease_due()
        held_chats: dict[int, datetime] = {}
        for row in rows:
            async with self.sessionmaker() as session:
                message = await session.get(OutboxMessage, row)
                if message is None or message.status != OutboxStatus.PENDING:
                    continue
                if message.chat_id in held_chats:
                    # Keep a chat's messages in order: wait behind the one that failed.
                    message.next_attempt_at = held_chats[message.chat_id]
                else:
                    await self._attempt(session, message)
                    if message.status == OutboxStatus.PENDING:
                        held_chats[message.chat_id] = message.next_attempt_at
                await session.commit()
        return len(rows)

    async def _lease_due(self) -> list[int]:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            due = await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(due)
            for message in rows:
                message.next_attempt_at = now + LEASE
            await session.commit()
        return [message.id for message in rows]

    async def _attempt(self, session: AsyncSession, message: OutboxMessage) -> None:
        message.attempts += 1
        now = self.clock.now()
        try:
            message_id = await self.channel.deliver(message)
        except RetryLater as error:
            self._retry_or_fail(message, str(error), error.seconds, now)
        except Undeliverable as error:
            self._fail(message, str(error))
        except Exception as error:
            log.exception("unexpected error delivering outbox message %s", message.id)
            self._retry_or_fail(message, repr(error), None, now)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.sent_message_id = message_id
            message.last_error = None
            if message.ticket_id is not None and "replaces" not in message.payload:
                session.add(
                    MessageLink(
                        ticket_id=message.ticket_id,
                        chat_id=message.chat_id,
                        message_id=message_id,
                        purpose=message.purpose,
                    )
                )

    def _retry_or_fail(
        self, message: OutboxMessage, reason: str, seconds: float | None, now: datetime
    ) -> None:
        if message.attempts >= MAX_ATTEMPTS:
            self._fail(message, f"gave up after {message.attempts} attempts: {reason}")
            return
        delay = timedelta(seconds=seconds) if seconds is not None else backoff(message.attempts)
        message.next_attempt_at = now + delay
        message.last_error = reason
        log.warning(
            "outbox message %s to %s: %s; retry in %s", message.id, message.chat_id, reason, delay
        )

    def _fail(self, message: OutboxMessage, reason: str) -> None:
        message.status = OutboxStatus.FAILED
        message.last_error = reason
        log.error(
            "outbox message %s to %s (%s) failed: %s",
            message.id,
            message.chat_id,
            message.purpose,
            reason,
        )
