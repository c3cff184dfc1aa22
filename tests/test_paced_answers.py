"""Handlers' own Bot API calls keep to Telegram's limits together with the senders' messages
(bot.telegram.paced): through the real aiogram client and the fake Bot API enforcing limits."""

import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from bot.delivery.outbox import Content
from bot.delivery.sender import Envelope
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.telegram.channel import TelegramChannel
from bot.telegram.limits import Limits, MemorySlots, TelegramLimits
from bot.telegram.paced import PacedAnswers
from tests.support.harness import BOT_TOKEN

RESIDENT = 42
GROUP = -1001


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeTelegram, Bot, TelegramLimits]]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot")
    url = await fake.start()
    fake.user(user_id=RESIDENT, first_name="小红")
    fake.group(GROUP, "海德社区代表小组")
    limits = TelegramLimits(
        Limits(overall="30/second", group="2 per 2 seconds", private_burst="3/second"),
        MemorySlots(),
    )
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    bot.session.middleware(PacedAnswers(limits))
    yield fake, bot, limits
    await bot.session.close()
    await fake.stop()


async def test_answers_to_a_group_wait_for_the_room_the_senders_left(world):
    fake, bot, limits = world
    flood = fake.enforce_limits(FakeLimits(group=(2, 2.0)))
    channel = TelegramChannel(bot, limits)
    for n in range(2):  # the senders fill the group's window
        assert await channel.ready(str(GROUP)) == 0
        await channel.deliver(Envelope(str(GROUP), Content(f"卡片 {n}")))
    started = time.monotonic()
    await bot.send_message(GROUP, "已认领")  # a deputy's press, answered in the group
    assert time.monotonic() - started >= 1.5  # it waited for the window, not for a 429
    assert flood.refused == 0
    assert [m["text"] for m in fake.bot_messages(GROUP)] == ["卡片 0", "卡片 1", "已认领"]


async def test_the_senders_calls_are_paced_once_not_twice(world):
    fake, bot, limits = world
    channel = TelegramChannel(bot, limits)
    assert await channel.ready(str(GROUP)) == 0
    await channel.deliver(Envelope(str(GROUP), Content("卡片")))
    assert [m["text"] for m in fake.bot_messages(GROUP)] == ["卡片"]
    # One slot taken by the channel; had the client counted the call again, the window of
    # two would now be full.
    assert await limits.wait(GROUP) == 0


async def test_a_person_gets_a_short_burst_and_the_senders_wait_behind_it(world):
    fake, bot, limits = world
    flood = fake.enforce_limits(FakeLimits(private_chat=(3, 1.0)))
    started = time.monotonic()
    for text in ("已记下", "请选择", "已收到"):
        await bot.send_message(RESIDENT, text)
    assert time.monotonic() - started < 0.9  # a burst of three, at once
    # The senders' steady one a second counts the answers: a status notice waits.
    assert await limits.wait(RESIDENT) > 0
    await bot.send_message(RESIDENT, "第四条")  # the fourth answer waits for the burst window
    assert time.monotonic() - started >= 0.9
    assert flood.refused == 0


async def test_a_short_flood_wait_is_waited_out_once_and_a_long_one_is_raised(world):
    fake, bot, _ = world
    fake.fail_next("sendMessage", 429, retry_after=1, chat_id=RESIDENT)
    started = time.monotonic()
    await bot.send_message(RESIDENT, "稍等后送达")
    assert time.monotonic() - started >= 1
    assert [m["text"] for m in fake.bot_messages(RESIDENT)] == ["稍等后送达"]
    fake.fail_next("sendMessage", 429, retry_after=30, chat_id=RESIDENT)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(RESIDENT, "等太久")
