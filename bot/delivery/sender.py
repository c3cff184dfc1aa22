"""The sender: delivers the outbox's rows through a channel.

Delivery is at least once: a row is leased just before it is sent (for a little longer than a
send may take, renewed while a long one goes on) and marked sent afterwards, so a sender
killed in between leaves it to be sent again by another one within seconds, rather than
never. A failure is retried with backoff; a row that cannot be delivered keeps its reason and
stays visible as failed, never dropped.

A recipient's messages arrive in the order they were queued, across rounds and across several
senders: only the oldest pending row of a recipient is ever leased, so a row that waits (for
Telegram's `retry_after`, say) holds back the ones behind it. Different recipients are served
concurrently, so one slow or troubled chat holds back nobody else.

The channel paces itself: asked before each send, it says how long the address must wait for
its limits; a row that must wait is put back without counting an attempt, and a flood-control
answer (Telegram's 429) is honoured and never counted either.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.outbox import Content, Recipient, Topic, recipient_of
from bot.metrics import count_send
from storage.models import OutboxMessage, OutboxStatus, RecipientKind
from storage.queries.contacts import contact_of, mark_unreachable, set_address
from storage.queries.outbox import (
    claim_due,
    fail_pending_of,
    group_chat_of,
    mark_sent,
    renew_lease,
    thread_anchor,
    topic_of,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
WAITING_LOOK = timedelta(minutes=1)  # how often a waiting recipient is looked at again


class RetryLater(Exception):
    """The channel could not deliver now; try again after `seconds` (None: use backoff)."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class FloodControl(RetryLater):
    """The channel's own limit was hit (Telegram's 429): wait `seconds`. Not an attempt: a
    message is never given up for being paced."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason, seconds)


class Undeliverable(Exception):
    """The channel refused the message for good (bad request, unknown chat)."""


class Unreachable(Undeliverable):
    """The channel refused the recipient for good (blocked the bot, left, deleted): this and
    every later message to them fails at once until they write to us again."""

    BLOCKED = "blocked"  # the person stopped (blocked) the bot
    GONE = "gone"  # the account or chat no longer exists, or the bot was removed from it

    def __init__(self, reason: str, cause: str) -> None:
        super().__init__(reason)
        self.cause = cause


class Waiting(Exception):
    """The recipient cannot be served for now (a group that removed the bot): its messages
    wait, without counting attempts, until it can."""


class NoAddress(Undeliverable):
    """The recipient has no address in the channel."""


class AddressChanged(Exception):
    """The recipient moved (a group became a supergroup): send to `address` from now on."""

    def __init__(self, reason: str, address: str) -> None:
        super().__init__(reason)
        self.address = address


# Why a row failed, as the hook `on_failed` is told (Unreachable's causes, and these).
REFUSED = "refused"  # the channel refused the message itself
NO_ADDRESS = "no_address"  # the recipient has no address in the channel
GAVE_UP = "gave_up"  # transient failures until MAX_ATTEMPTS


@dataclass(frozen=True)
class Envelope:
    """One message as a channel receives it: where to, what, and which earlier message of
    the same address it replaces (the channel's receipt of it), if any."""

    address: str
    content: Content
    replaces: str | None = None
    # The message this one belongs under in a group (the ticket's card): a reply to it.
    reply_to: str | None = None
    # In a group with a topic per ticket: the ticket's topic, and its thread if it has one.
    topic: Topic | None = None
    thread: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The channel's id of a delivered message, and of its further parts if it had to split
    it (each of them leads back to the message, so a reply to any part finds its ticket)."""

    id: str
    parts: tuple[str, ...] = ()
    thread: str | None = None  # the thread (forum topic) it went to


class Channel(Protocol):
    name: str

    async def ready(self, address: str) -> float:
        """Seconds the address must wait for the channel's limits; 0 means send now (and the
        send is counted against them). A short wait for a limit every address shares may be
        waited out in here, in turn with the other sends, before it answers 0."""
        ...

    async def deliver(self, envelope: Envelope) -> Receipt:
        """Send (or edit); return the channel's receipt, or raise RetryLater (FloodControl),
        Undeliverable (Unreachable) or AddressChanged."""
        ...


# Told of rows that failed for good, in the session that records it, with the cause; it may
# queue messages of its own (the core tells a deputy group its answer did not arrive).
OnFailed = Callable[[AsyncSession, Sequence[OutboxMessage], str], Awaitable[None]]


def _count(outcome: "_Outcome") -> None:
    if outcome.receipt is not None:
        count_send("ok")
    elif isinstance(outcome.error, FloodControl):
        count_send("429")
    elif isinstance(outcome.error, Unreachable):
        count_send("403")
    elif outcome.error is not None:
        count_send("error")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))


@dataclass
class _Outcome:
    """What became of one send, recorded in a transaction of its own after it."""

    receipt: Receipt | None = None
    address: str | None = None
    error: Exception | None = None
    wait: float | None = None  # not sent: the channel's limits asked to wait this long


@dataclass
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    channel: Channel
    clock: Clock
    poll_seconds: float = 2.0
    concurrency: int = 16  # recipients served at once
    # How long a leased row is another sender's: a little longer than a send may take (the
    # channel's own timeout), so a dead sender's rows are taken over within seconds.
    lease: timedelta = timedelta(seconds=20)
    # A row whose address must wait at most this long for the channel's limits waits in hand;
    # a longer wait puts it back (a group's per-minute limit), without counting an attempt.
    pace_in_hand: float = 2.0
    on_failed: OnFailed | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the sends in hand, then return from run(): nothing is cut off mid-send."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a wake (or a finished send) during a look counts.
            self._wake.clear()
            free = self.concurrency - len(self._tasks)
            claimed: list[OutboxMessage] = []
            if free > 0:
                try:
                    claimed = await self._claim(free)
                except Exception:
                    log.exception("outbox look failed; retrying after the poll interval")
            for row in claimed:
                task = asyncio.create_task(self._deliver(row), name=f"outbox-{row.id}")
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            if claimed and len(claimed) == free:
                continue  # every slot busy: the next look waits for one to come free
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox delivery crashed", exc_info=task.exception())
        self._wake.set()

    async def deliver_due(self) -> int:
        """Send what is due now, at most one row per recipient and `concurrency` rows, all at
        once; returns how many rows were taken (one look and its sends, for tests and tools)."""
        rows = await self._claim(self.concurrency)
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        """Lease the due rows: each as the claim read it (the lease makes it ours, so it is
        not read again before its send)."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            rows = await claim_due(session, now, now + self.lease, limit)
            await session.commit()
        return rows

    async def _deliver(self, leased: OutboxMessage) -> None:
        """One leased row: send it (no database connection held meanwhile), then record what
        happened."""
        row = leased.id
        async with self.sessionmaker() as session:
            message = await session.merge(leased, load=False)
            try:
                envelope = await self._envelope(session, message)
            except Undeliverable as error:
                await self._failed(session, message, error)
                await session.commit()
                self.wake()
                return
            except Waiting as waiting:
                message.next_attempt_at = self.clock.now() + WAITING_LOOK
                message.last_error = str(waiting)
                await session.commit()
                return
            recipient = recipient_of(message)
            await session.rollback()
        keeper = asyncio.create_task(self._keep_lease(row))
        try:
            outcome = await self._send(envelope, row, recipient)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        _count(outcome)
        async with self.sessionmaker() as session:
            if outcome.receipt is not None and outcome.address is not None:
                receipt = outcome.receipt
                sent = await mark_sent(
                    session,
                    row,
                    self.clock.now(),
                    outcome.address,
                    receipt.id,
                    receipt.parts,
                    receipt.thread,
                )
                await session.commit()
                if not sent:
                    log.warning("outbox message %s was sent, but another sender had it", row)
                return
            message = await session.get_one(OutboxMessage, row)
            if message.status != OutboxStatus.PENDING:
                return
            queued = await self._record(session, message, outcome)
            await session.commit()
        if queued:
            self.wake()

    async def _keep_lease(self, row: int) -> None:
        """Renew the row's lease while its send goes on (a long message in parts, a group's
        pacing, a move to a new chat), so no other sender takes it meanwhile."""
        while True:
            # A third of the lease: a renewal delayed by a busy machine still has a second try.
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.sessionmaker() as session:
                    await renew_lease(session, row, self.clock.now() + self.lease)
                    await session.commit()
            except Exception:
                log.warning("could not renew the lease of outbox message %s", row, exc_info=True)

    async def _envelope(self, session: AsyncSession, message: OutboxMessage) -> Envelope:
        recipient = recipient_of(message)
        contact = await contact_of(session, recipient.kind, recipient.id, self.channel.name)
        if contact is None:
            raise NoAddress(f"{recipient} has no {self.channel.name} address")
        if contact.unreachable_at is not None:
            raise Unreachable(
                f"{recipient} unreachable since {contact.unreachable_at:%Y-%m-%d %H:%M} UTC: "
                f"{contact.unreachable_reason}",
                contact.unreachable_cause or Unreachable.GONE,
            )
        replaces = None
        if message.replaces_id is not None:
            earlier = await session.get_one(OutboxMessage, message.replaces_id)
            # An earlier message that never arrived is not edited: this one is sent instead.
            if earlier.status == OutboxStatus.SENT and earlier.address == contact.address:
                replaces = earlier.receipt
        if message.recipient_kind != RecipientKind.DEPUTY_GROUP:
            return Envelope(contact.address, Content.of(message), replaces)
        chat = await group_chat_of(session, message.recipient_id)
        if chat is not None and chat.removed_at is not None:
            raise Waiting(f"{recipient_of(message)} removed the bot; waiting for it to be back")
        topic = await topic_of(session, message, contact.address, chat)
        if topic is not None:
            thread, name, closed, recreated = topic
            state = Topic(name, closed, recreated)
            return Envelope(contact.address, Content.of(message), replaces, None, state, thread)
        reply_to = None
        if replaces is None:
            reply_to = await thread_anchor(session, message, contact.address)
        return Envelope(contact.address, Content.of(message), replaces, reply_to)

    async def _send(
        self, envelope: Envelope, row: int, recipient: Recipient, moved: bool = False
    ) -> _Outcome:
        paced = 0.0
        try:
            while (wait := await self.channel.ready(envelope.address)) > 0:
                # The lease covers a short wait; a long one (or many) gives the row back.
                if paced + wait > self.pace_in_hand:
                    return _Outcome(wait=wait)
                await asyncio.sleep(wait)
                paced += wait
        except Exception as error:  # the limits' store (Redis) is down: back off, count it
            return _Outcome(error=RetryLater(f"the channel's limits are unknown: {error!r}"))
        try:
            return _Outcome(await self.channel.deliver(envelope), envelope.address)
        except AddressChanged as change:
            if moved:  # moved twice in one go: let the next attempt look again
                return _Outcome(error=RetryLater(str(change)))
            log.warning("outbox message %s: %s; sending there", row, change)
            async with self.sessionmaker() as session:
                await set_address(
                    session, recipient.kind, recipient.id, self.channel.name, change.address
                )
                await session.commit()
            # The earlier message stays in the old chat: here the message is sent anew.
            moved_envelope = replace(envelope, address=change.address, replaces=None, reply_to=None)
            return await self._send(moved_envelope, row, recipient, moved=True)
        except Exception as error:
            return _Outcome(error=error)

    async def _record(
        self, session: AsyncSession, message: OutboxMessage, outcome: _Outcome
    ) -> bool:
        """Record a send that did not happen or failed; True if that queued messages of its
        own (the failure hook)."""
        now = self.clock.now()
        if outcome.wait is not None:
            message.next_attempt_at = now + timedelta(seconds=outcome.wait)
            return False
        message.attempts += 1
        error = outcome.error
        if isinstance(error, FloodControl):
            message.attempts -= 1  # paced, not failed
            self._retry(message, str(error), error.seconds, now)
            return False
        if isinstance(error, RetryLater):
            if message.attempts < MAX_ATTEMPTS:
                self._retry(message, str(error), error.seconds, now)
                return False
            return await self._failed(
                session, message, RetryLater(f"gave up after {message.attempts} attempts: {error}")
            )
        if isinstance(error, Undeliverable):
            return await self._failed(session, message, error)
        log.error("unexpected error delivering outbox message %s", message.id, exc_info=error)
        if message.attempts < MAX_ATTEMPTS:
            self._retry(message, repr(error), None, now)
            return False
        return await self._failed(
            session, message, RetryLater(f"gave up after {message.attempts} attempts: {error!r}")
        )

    def _retry(
        self, message: OutboxMessage, reason: str, seconds: float | None, now: datetime
    ) -> None:
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

    async def _failed(
        self, session: AsyncSession, message: OutboxMessage, error: Exception
    ) -> bool:
        """Fail the row for good; an unreachable recipient's later rows fail with it, and the
        contact keeps why. Returns True if the failure hook was told."""
        reason = str(error)
        message.status = OutboxStatus.FAILED
        message.last_error = reason
        failed = [message]
        recipient = recipient_of(message)
        if isinstance(error, Unreachable):
            cause = error.cause
            contact = await contact_of(session, recipient.kind, recipient.id, self.channel.name)
            if contact is not None and contact.unreachable_at is None:
                await mark_unreachable(
                    session,
                    recipient.kind,
                    recipient.id,
                    self.channel.name,
                    self.clock.now(),
                    cause,
                    reason,
                )
            await session.flush()
            failed += await fail_pending_of(session, recipient.kind, recipient.id, reason)
        elif isinstance(error, RetryLater):
            cause = GAVE_UP
        elif isinstance(error, NoAddress):
            cause = NO_ADDRESS
        else:
            cause = REFUSED
        for row in failed:
            log.error(
                "outbox message %s to %s (%s) failed: %s", row.id, recipient, row.purpose, reason
            )
        if self.on_failed is None:
            return False
        await self.on_failed(session, failed, cause)
        return True
