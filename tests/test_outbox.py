"""The sender delivers what is due, in order per recipient (across rounds and senders),
retries what can be retried, and keeps what cannot be delivered as failed with its reason:
nothing is dropped silently."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Select, select

from bot.clock import FrozenClock
from bot.delivery.outbox import Action, Content, Recipient, enqueue
from bot.delivery.sender import (
    MAX_ATTEMPTS,
    NO_ADDRESS,
    REFUSED,
    Envelope,
    Receipt,
    RetryLater,
    Sender,
    Undeliverable,
)
from storage.db import open_database
from storage.models import OutboxMessage, OutboxPurpose, OutboxStatus, RecipientKind
from storage.queries.contacts import set_address
from storage.queries.outbox import claim_due

CHANNEL = "scripted"


@dataclass
class ScriptedChannel:
    """Delivers, or raises what the test scripted for a given text. Recipient n lives at the
    address "chat-n"; what each address shows is kept, so edits can be checked."""

    name: str = CHANNEL
    delivered: list[tuple[str, str]] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    screens: dict[str, dict[str, str]] = field(default_factory=dict)
    waits: dict[str, list[float]] = field(default_factory=dict)  # what ready() answers

    async def ready(self, address: str) -> float:
        return self.waits[address].pop(0) if self.waits.get(address) else 0.0

    async def deliver(self, envelope: Envelope) -> Receipt:
        text = envelope.content.text
        if self.failures.get(text):
            raise self.failures[text].pop(0)
        self.delivered.append((envelope.address, text))
        screen = self.screens.setdefault(envelope.address, {})
        receipt = envelope.replaces or str(1000 + len(self.delivered))
        screen[receipt] = text
        return Receipt(receipt)


@pytest.fixture
async def sender(database_url: str, clock: FrozenClock):
    async with open_database(database_url) as sessions:
        yield Sender(sessions, ScriptedChannel(), clock)


def resident(number: int) -> Recipient:
    return Recipient.resident(number)


async def queue(sender: Sender, *messages: tuple[int, str]) -> list[OutboxMessage]:
    async with sender.sessionmaker() as session:
        queued = []
        for number, text in messages:
            await set_address(session, RecipientKind.RESIDENT, number, CHANNEL, f"chat-{number}")
            queued.append(
                enqueue(
                    session,
                    resident(number),
                    OutboxPurpose.STATUS,
                    Content(text),
                    sender.clock.now(),
                )
            )
        await session.commit()
    return queued


async def rows(sender: Sender) -> list[OutboxMessage]:
    async with sender.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def deliver_all(sender: Sender) -> int:
    """Rounds until nothing is due; returns how many rows were attempted."""
    attempted = 0
    while delivered := await sender.deliver_due():
        attempted += delivered
    return attempted


async def test_due_messages_are_sent_once_in_order_and_remember_where_they_went(sender: Sender):
    await queue(sender, (1, "first"), (2, "other chat"), (1, "second"))
    assert await deliver_all(sender) == 3
    assert await sender.deliver_due() == 0
    assert sorted(sender.channel.delivered) == [
        ("chat-1", "first"),
        ("chat-1", "second"),
        ("chat-2", "other chat"),
    ]
    assert sender.channel.delivered[-1] == ("chat-1", "second")  # after "first", always
    sent = await rows(sender)
    assert [(r.status, r.address, r.attempts) for r in sent] == [
        (OutboxStatus.SENT, "chat-1", 1),
        (OutboxStatus.SENT, "chat-2", 1),
        (OutboxStatus.SENT, "chat-1", 1),
    ]
    assert {r.receipt for r in sent} == {"1001", "1002", "1003"}


async def test_retry_after_is_honoured_and_the_recipient_keeps_its_order(
    sender: Sender, clock: FrozenClock
):
    sender.channel.failures["first"] = [RetryLater("Too Many Requests: retry after 7", 7)]
    await queue(sender, (1, "first"), (1, "second"), (2, "elsewhere"))
    await deliver_all(sender)
    assert sender.channel.delivered == [("chat-2", "elsewhere")]
    first, second, _ = await rows(sender)
    assert first.status == second.status == OutboxStatus.PENDING
    assert first.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert first.last_error == "Too Many Requests: retry after 7"
    clock.advance(timedelta(seconds=6))
    assert await sender.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    await deliver_all(sender)
    assert sender.channel.delivered == [
        ("chat-2", "elsewhere"),
        ("chat-1", "first"),
        ("chat-1", "second"),
    ]


async def test_a_message_queued_after_the_batch_does_not_overtake_one_that_waits(
    sender: Sender, clock: FrozenClock
):
    sender.channel.failures["first"] = [RetryLater("Too Many Requests: retry after 7", 7)]
    await queue(sender, (1, "first"))
    await sender.deliver_due()
    await queue(sender, (1, "queued later"))  # due now, while "first" waits for 7 s
    assert await deliver_all(sender) == 0
    assert sender.channel.delivered == []
    clock.advance(timedelta(seconds=7))
    await deliver_all(sender)
    assert sender.channel.delivered == [("chat-1", "first"), ("chat-1", "queued later")]


async def test_a_second_sender_leases_neither_the_same_row_nor_the_ones_behind_it(
    sender: Sender,
):
    await queue(sender, (1, "only once"), (1, "behind it"), (2, "someone else"))
    second = Sender(sender.sessionmaker, ScriptedChannel(), sender.clock)
    first_lease = await sender._claim(10)
    assert len(first_lease) == 2  # one row per recipient
    assert await second._claim(10) == []
    await sender.deliver_due()


async def test_two_senders_that_read_the_same_row_as_due_lease_it_once(
    sender: Sender, clock: FrozenClock
):
    """Between one sender's look and its lease, another leases the same row: SQLite locks no
    rows, so the lease asks again whether the row is still due; PostgreSQL's look has locked
    it, and the other skips it. Either way exactly one of them sends it."""
    await queue(sender, (1, "only once"))
    now, until = clock.now(), clock.now() + timedelta(seconds=20)
    taken_meanwhile: list[OutboxMessage] = []
    looked = False
    async with sender.sessionmaker() as mine, sender.sessionmaker() as other:
        look = mine.scalars

        async def look_then_the_other_leases(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal looked
            result = await look(statement, *args, **kwargs)
            if not looked and isinstance(statement, Select):
                looked = True
                result = list(result)  # the look is read before the other's lease
                taken_meanwhile.extend(await claim_due(other, now, until, 10))
                await other.commit()
            return result

        mine.scalars = look_then_the_other_leases  # type: ignore[method-assign]
        leased = await claim_due(mine, now, until, 10)
        await mine.commit()
    assert len(leased) + len(taken_meanwhile) == 1


async def test_an_undeliverable_message_is_kept_as_failed_with_its_reason(sender: Sender):
    sender.channel.failures["hello"] = [Undeliverable("Forbidden: bot was blocked by the user")]
    await queue(sender, (5, "hello"))
    await sender.deliver_due()
    (row,) = await rows(sender)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "Forbidden: bot was blocked by the user"


async def test_a_recipient_without_an_address_in_the_channel_is_failed_not_dropped(
    sender: Sender,
):
    async with sender.sessionmaker() as session:
        enqueue(session, resident(77), OutboxPurpose.STATUS, Content("hi"), sender.clock.now())
        await session.commit()
    await sender.deliver_due()
    (row,) = await rows(sender)
    assert (row.status, row.last_error) == (
        OutboxStatus.FAILED,
        "resident 77 has no scripted address",
    )


async def test_transient_failures_back_off_and_finally_fail_loudly(
    sender: Sender, clock: FrozenClock
):
    sender.channel.failures["flaky"] = [RetryLater("Bad Gateway")] * MAX_ATTEMPTS
    await queue(sender, (9, "flaky"))
    delays = []
    for _ in range(MAX_ATTEMPTS):
        await sender.deliver_due()
        (row,) = await rows(sender)
        if row.status == OutboxStatus.FAILED:
            break
        delays.append(row.next_attempt_at - clock.now())
        clock.advance(row.next_attempt_at - clock.now())
    assert delays[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == f"gave up after {MAX_ATTEMPTS} attempts: Bad Gateway"


async def replace(sender: Sender, earlier: OutboxMessage, text: str) -> None:
    async with sender.sessionmaker() as session:
        enqueue(
            session,
            resident(earlier.recipient_id),
            OutboxPurpose.CARD_UPDATE,
            Content(text, (Action("claim", "认领", 7),)),
            sender.clock.now(),
            replaces=earlier,
        )
        await session.commit()


async def test_a_card_changed_before_it_was_sent_arrives_up_to_date(sender: Sender):
    (card,) = await queue(sender, (3, "状态：已受理"))
    await replace(sender, card, "状态：已答复")  # the status changed before the sender ran
    await deliver_all(sender)
    assert sender.channel.screens["chat-3"] == {"1001": "状态：已答复"}
    edit = (await rows(sender))[1]
    assert (edit.status, edit.receipt) == (OutboxStatus.SENT, "1001")


async def test_a_replacement_of_a_message_that_never_arrived_is_sent_as_a_new_one(
    sender: Sender,
):
    sender.channel.failures["old card"] = [Undeliverable("Bad Request: chat not found")]
    (card,) = await queue(sender, (4, "old card"))
    await replace(sender, card, "new card")
    await deliver_all(sender)
    assert sender.channel.screens["chat-4"] == {"1001": "new card"}


async def test_a_stopped_sender_returns_after_the_work_in_hand(sender: Sender):
    await queue(sender, (1, "before stopping"))
    running = asyncio.create_task(sender.run())
    async with asyncio.timeout(10):
        while not sender.channel.delivered:
            await asyncio.sleep(0.01)
    sender.stop()
    async with asyncio.timeout(10):
        await running  # returns on its own: not cancelled
    await queue(sender, (1, "after stopping"))
    assert sender.channel.delivered == [("chat-1", "before stopping")]
    assert [r.status for r in await rows(sender)] == [OutboxStatus.SENT, OutboxStatus.PENDING]


async def test_a_row_whose_address_must_wait_for_the_channels_limits_is_put_back_uncounted(
    sender: Sender, clock: FrozenClock
):
    sender.channel.waits["chat-1"] = [30.0]  # a group's per-minute limit, say
    sender.channel.waits["chat-2"] = [0.01]  # a person's one a second: waited out in hand
    await queue(sender, (1, "must wait"), (2, "short wait"))
    await sender.deliver_due()
    waiting, sent = await rows(sender)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        OutboxStatus.PENDING,
        0,
        None,
    )
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, 1)


async def test_the_failure_hook_hears_of_every_row_that_failed_and_why(sender: Sender):
    heard: list[tuple[list[str], str]] = []

    async def on_failed(session, failed, cause) -> None:
        heard.append(([row.payload["text"] for row in failed], cause))

    sender.on_failed = on_failed
    sender.channel.failures["refused"] = [Undeliverable("Bad Request: can't parse entities")]
    await queue(sender, (1, "refused"))
    async with sender.sessionmaker() as session:
        enqueue(session, resident(77), OutboxPurpose.STATUS, Content("nowhere"), sender.clock.now())
        await session.commit()
    await deliver_all(sender)
    assert sorted(heard) == [(["nowhere"], NO_ADDRESS), (["refused"], REFUSED)]
