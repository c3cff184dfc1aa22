"""The sender: delivers the outbox's rows through a channel.

Delivery is at least once: a row is leased before it is sent and marked sent afterwards, so a
crash in between sends it again rather than never. A failure is retried with backoff; a row
that cannot be delivered keeps its reason and stays visible as failed, never dropped.

A recipient's messages arrive in the order they were queued, across rounds and across several
senders: only the oldest pending row of a recipient is ever leased, so a row that waits (for
Telegram's `retry_after`, say) holds back the ones behind it.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.delivery.outbox import Content, recipient_of
from storage.models import OutboxMessage, OutboxStatus
from storage.queries.contacts import address_of

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


@dataclass(frozen=True)
class Envelope:
    """One message as a channel receives it: where to, what, and which earlier message of
    the same address it replaces (the channel's receipt of it), if any."""

    address: str
    content: Content
    replaces: str | None = None


class Channel(Protocol):
    name: str

    async def deliver(self, envelope: Envelope) -> str:
        """Send (or edit); return the channel's id of the message (its receipt), or raise
        RetryLater / Undeliverable."""
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
        """Send what is due now, at most one row per recipient; returns how many rows were
        attempted."""
        rows = await self._lease_due()
        for row in rows:
            async with self.sessionmaker() as session:
                message = await session.get(OutboxMessage, row)
                if message is None or message.status != OutboxStatus.PENDING:
                    continue
                await self._attempt(session, message)
                await session.commit()
        return len(rows)

    async def _lease_due(self) -> list[int]:
        now = self.clock.now()
        earlier = aliased(OutboxMessage)
        queued_before = exists().where(
            earlier.recipient_kind == OutboxMessage.recipient_kind,
            earlier.recipient_id == OutboxMessage.recipient_id,
            earlier.status == OutboxStatus.PENDING,
            earlier.id < OutboxMessage.id,
        )
        async with self.sessionmaker() as session:
            due = await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                    ~queued_before,
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=OutboxMessage)
            )
            rows = list(due)
            for message in rows:
                message.next_attempt_at = now + LEASE
            await session.commit()
        return [message.id for message in rows]

    async def _envelope(self, session: AsyncSession, message: OutboxMessage) -> Envelope:
        recipient = recipient_of(message)
        address = await address_of(session, recipient.kind, recipient.id, self.channel.name)
        if address is None:
            raise Undeliverable(f"{recipient} has no {self.channel.name} address")
        replaces = None
        if message.replaces_id is not None:
            earlier = await session.get_one(OutboxMessage, message.replaces_id)
            # An earlier message that never arrived is not edited: this one is sent instead.
            if earlier.status == OutboxStatus.SENT and earlier.address == address:
                replaces = earlier.receipt
        return Envelope(address, Content.of(message), replaces)

    async def _attempt(self, session: AsyncSession, message: OutboxMessage) -> None:
        message.attempts += 1
        now = self.clock.now()
        try:
            envelope = await self._envelope(session, message)
            receipt = await self.channel.deliver(envelope)
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
            message.address = envelope.address
            message.receipt = receipt
            message.last_error = None

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
            "outbox message %s to %s: %s; retry in %s",
            message.id,
            recipient_of(message),
            reason,
            delay,
        )

    def _fail(self, message: OutboxMessage, reason: str) -> None:
        message.status = OutboxStatus.FAILED
        message.last_error = reason
        log.error(
            "outbox message %s to %s (%s) failed: %s",
            message.id,
            recipient_of(message),
            message.purpose,
            reason,
        )
