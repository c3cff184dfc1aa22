"""Delivery through the real Bot API boundary (the fake): Telegram's answers — flood control,
server trouble, a slow answer, a blocked bot, a migrated group, a deleted card, a long card —
and what the outbox, the contacts and the deputy group make of them."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.core.delivery_failures import DeliveryFailures
from bot.core.residents import register_resident
from bot.core.tickets import TicketDesk
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import MAX_ATTEMPTS, Sender
from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser
from bot.settings import PROJECT_ROOT
from bot.telegram.channel import TelegramChannel
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import (
    TELEGRAM,
    Area,
    Contact,
    Deputy,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    RecipientKind,
    Ticket,
)
from storage.queries.contacts import address_of
from storage.queries.outbox import ticket_of_delivered
from tests.support.harness import BOT_TOKEN, deputy_group_chats
from tests.support.stories import ANSWER, HAIDE_GROUP_1, OPINION

RESIDENT = 5001


@dataclass
class World:
    fake: FakeTelegram
    sessions: async_sessionmaker[AsyncSession]
    channel: TelegramChannel
    sender: Sender
    desk: TicketDesk
    clock: FrozenClock
    groups: dict[int, FakeChat]
    resident: FakeUser

    async def rows(self) -> list[OutboxMessage]:
        async with self.sessions() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def deliver_all(self) -> None:
        while await self.sender.deliver_due():
            pass

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.fake.bot_messages(chat_id)]

    async def submit(self, text: str = OPINION) -> Ticket:
        """The resident (in 和祥社区, so 海德街道第一代表小组's) submits an opinion."""
        async with self.sessions() as session:
            resident = await register_resident(
                session, TELEGRAM, str(RESIDENT), "李小红", "zh_Hans", self.clock.now()
            )
            resident.area_id = await session.scalar(select(Area.id).where(Area.code == "jb-hd-hx"))
            ticket = (await self.desk.submit_opinion(session, resident, text, "intake-1")).ticket
            await session.commit()
            return ticket

    async def deputy_answers(self, ticket: Ticket) -> None:
        async with self.sessions() as session:
            wang = await session.scalar(select(Deputy).where(Deputy.code == "d-wang-jianguo"))
            assert wang is not None
            await self.desk.reply_from_deputy(
                session, await session.get_one(Ticket, ticket.id), wang, ANSWER
            )
            await session.commit()


@pytest.fixture
async def world(
    database_url: str, directory_loaded: None, clock: FrozenClock
) -> AsyncIterator[World]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot")
    groups = deputy_group_chats(fake)
    resident = fake.user(user_id=RESIDENT, first_name="小红", last_name="李")
    url = await fake.start()
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    catalogs = Catalogs(PROJECT_ROOT / "locales")
    async with open_database(database_url) as sessions:
        channel = TelegramChannel(bot, send_timeout=1.0)
        sender = Sender(sessions, channel, clock, on_failed=DeliveryFailures(clock, catalogs))
        desk = TicketDesk(clock, catalogs, "Asia/Shanghai")
        yield World(fake, sessions, channel, sender, desk, clock, groups, resident)
    await bot.session.close()
    await fake.stop()


async def test_flood_control_is_waited_out_and_never_counted_as_an_attempt(world: World):
    world.fake.fail_next("sendMessage", 429, retry_after=3, times=MAX_ATTEMPTS + 3)
    await world.submit()
    for _ in range(MAX_ATTEMPTS + 3):
        await world.sender.deliver_due()
        (card,) = await world.rows()
        assert card.status == OutboxStatus.PENDING and card.attempts == 0
        assert card.next_attempt_at == world.clock.now() + timedelta(seconds=3)
        world.clock.advance(timedelta(seconds=3))
    await world.deliver_all()
    (card,) = await world.rows()
    assert (card.status, card.attempts) == (OutboxStatus.SENT, 1)
    assert len(world.fake.bot_messages(HAIDE_GROUP_1)) == 1


async def test_a_burst_of_server_errors_is_retried_with_backoff(world: World):
    world.fake.fail_next("sendMessage", 502, "Bad Gateway", times=3)
    await world.submit()
    for delay in (5, 10, 20):
        await world.sender.deliver_due()
        (card,) = await world.rows()
        assert card.next_attempt_at == world.clock.now() + timedelta(seconds=delay)
        world.clock.advance(timedelta(seconds=delay))
    await world.deliver_all()
    (card,) = await world.rows()
    assert (card.status, card.attempts, card.last_error) == (OutboxStatus.SENT, 4, None)


async def test_a_slow_chat_holds_back_no_one_and_its_message_is_not_sent_twice(world: World):
    """Telegram takes longer than the send timeout to answer for the group: the resident's
    message goes meanwhile, and the group's is sent once, on the retry."""
    other = world.fake.user(user_id=5002, first_name="明", last_name="周")
    world.fake.slow_down("sendMessage", 2, chat_id=HAIDE_GROUP_1, times=1)
    await world.submit()
    async with world.sessions() as session:
        resident = await register_resident(
            session, TELEGRAM, str(other.id), "周明", "zh_Hans", world.clock.now()
        )
        enqueue(
            session,
            Recipient.resident(resident.id),
            OutboxPurpose.STATUS,
            Content("你好"),
            world.clock.now(),
        )
        await session.commit()
    round_ = asyncio.create_task(world.sender.deliver_due())
    await world.fake.wait_for(lambda: world.texts(other.id) == ["你好"])
    card, _ = await world.rows()
    assert card.attempts == 0 and not round_.done()  # the group's call is still out
    await round_
    card, _ = await world.rows()
    assert (card.status, card.attempts) == (OutboxStatus.PENDING, 1)
    assert "timeout" in (card.last_error or "").lower()
    await world.fake.wait_for(lambda: any(r.status == 499 for r in world.fake.requests))
    world.clock.advance(card.next_attempt_at - world.clock.now())
    await world.deliver_all()
    assert len(world.fake.bot_messages(HAIDE_GROUP_1)) == 1
    assert [r.status for r in await world.rows()] == [OutboxStatus.SENT, OutboxStatus.SENT]


async def test_a_resident_who_blocked_the_bot_is_marked_and_the_group_is_told(world: World):
    ticket = await world.submit()
    await world.deliver_all()  # the card reaches the group
    world.resident.block_bot()
    await world.deputy_answers(ticket)  # the answer and the status notice are queued
    await world.deliver_all()
    rows = await world.rows()
    reply, status = (r for r in rows if r.recipient_kind == RecipientKind.RESIDENT)
    assert reply.purpose == OutboxPurpose.REPLY and reply.status == OutboxStatus.FAILED
    assert reply.last_error == "Forbidden: bot was blocked by the user"
    # The status notice behind it was never tried: it failed at once, with the same reason.
    assert (status.status, status.attempts) == (OutboxStatus.FAILED, 0)
    assert status.last_error == reply.last_error
    async with world.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.recipient_kind == RecipientKind.RESIDENT)
        )
        assert contact is not None and contact.unreachable_at == world.clock.now()
        assert (contact.unreachable_cause, contact.unreachable_reason) == (
            "blocked",
            "Forbidden: bot was blocked by the user",
        )
        assert await session.get(Ticket, ticket.id) is not None  # the resident keeps it
    told = [t for t in world.texts(HAIDE_GROUP_1) if t.startswith("未能送达")]
    assert told == ["未能送达反映人（A-2026-000001）：反映人已停用本机器人。"]
    # A later message to them fails at once, without calling Telegram.
    calls = len(world.fake.requests)
    async with world.sessions() as session:
        resident_id = contact.recipient_id
        enqueue(
            session,
            Recipient.resident(resident_id),
            OutboxPurpose.STATUS,
            Content("再次"),
            world.clock.now(),
            ticket_id=ticket.id,
        )
        await session.commit()
    await world.deliver_all()
    later = (await world.rows())[-1]  # and the group is not told a second time
    assert (later.status, later.attempts) == (OutboxStatus.FAILED, 0)
    assert later.last_error.endswith("Forbidden: bot was blocked by the user")
    assert all(r.params.get("chat_id") != RESIDENT for r in world.fake.requests[calls:])
    assert [t for t in world.texts(HAIDE_GROUP_1) if t.startswith("未能送达")] == told


async def test_writing_again_makes_a_resident_reachable_again(world: World):
    await world.submit()
    async with world.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.address == str(RESIDENT)))
        contact.unreachable_at = world.clock.now()
        contact.unreachable_cause = "blocked"
        await session.commit()
        await register_resident(
            session, TELEGRAM, str(RESIDENT), "李小红", "zh_Hans", world.clock.now()
        )
        await session.commit()
        await session.refresh(contact)
        assert contact.unreachable_at is None and contact.unreachable_cause is None


async def test_a_group_that_became_a_supergroup_gets_the_card_in_its_new_chat(world: World):
    moved_to = -1009999000101
    new_chat = world.fake.group(moved_to, "海德街道第一代表小组", [])
    world.fake.fail_next(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=moved_to,
        chat_id=HAIDE_GROUP_1,
    )
    ticket = await world.submit()
    await world.deliver_all()
    (card,) = await world.rows()
    assert (card.status, card.address) == (OutboxStatus.SENT, str(moved_to))
    assert [m["text"].splitlines()[0] for m in world.fake.bot_messages(new_chat.id)] == [
        "意见建议（A-2026-000001）"
    ]
    async with world.sessions() as session:
        group_id = card.recipient_id
        assert await address_of(session, RecipientKind.DEPUTY_GROUP, group_id, TELEGRAM) == str(
            moved_to
        )
        assert (await ticket_of_delivered(session, str(moved_to), card.receipt)).id == ticket.id


async def test_a_card_deleted_in_the_chat_is_sent_anew_when_it_changes(world: World):
    ticket = await world.submit()
    await world.deliver_all()
    (card,) = await world.rows()
    await world.channel.bot.delete_message(HAIDE_GROUP_1, int(card.receipt))
    await world.deputy_answers(ticket)
    await world.deliver_all()
    update = next(r for r in await world.rows() if r.purpose == OutboxPurpose.CARD_UPDATE)
    assert update.status == OutboxStatus.SENT and update.receipt != card.receipt
    (shown,) = [t for t in world.texts(HAIDE_GROUP_1) if t.startswith("意见建议")]
    assert str(world.fake.bot_messages(HAIDE_GROUP_1)[0]["message_id"]) == update.receipt
    assert ANSWER not in shown  # the card, not the answer; now with its new status


async def test_every_part_of_a_long_card_leads_back_to_its_ticket(world: World):
    ticket = await world.submit("\n".join(f"第{i}点：" + "楼道堆放杂物" * 60 for i in range(40)))
    await world.deliver_all()
    parts = world.fake.bot_messages(HAIDE_GROUP_1)
    assert len(parts) >= 3
    async with world.sessions() as session:
        for part in parts:
            found = await ticket_of_delivered(session, str(HAIDE_GROUP_1), str(part["message_id"]))
            assert found is not None and found.id == ticket.id


async def test_a_long_card_that_changes_arrives_anew_in_parts_each_leading_to_its_ticket(
    world: World,
):
    ticket = await world.submit("\n".join(f"第{i}点：" + "楼道堆放杂物" * 60 for i in range(40)))
    await world.deliver_all()
    first_parts = len(world.fake.bot_messages(HAIDE_GROUP_1))
    await world.deputy_answers(ticket)
    await world.deliver_all()
    update = next(r for r in await world.rows() if r.purpose == OutboxPurpose.CARD_UPDATE)
    assert (update.status, update.last_error) == (OutboxStatus.SENT, None)
    parts = world.fake.bot_messages(HAIDE_GROUP_1)[first_parts:]
    assert len(parts) >= 3
    async with world.sessions() as session:
        for part in parts:
            found = await ticket_of_delivered(session, str(HAIDE_GROUP_1), str(part["message_id"]))
            assert found is not None and found.id == ticket.id
