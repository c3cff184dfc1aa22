"""Telegram's limits, when a test turns them on: over a limit, 429 with retry_after; and slow
answers, after which a client that gave up finds its call was never carried out."""

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser
from bot.fake_telegram.flood import Limits
from tests.fake_telegram.support import ALICE, GROUP, ManualClock


async def test_limits_are_off_unless_a_test_turns_them_on(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    for number in range(5):
        await bot.send_message(ALICE, f"第{number}条")
    assert fake.flood is None and len(fake.bot_messages(ALICE)) == 5


async def test_a_private_chat_gets_one_message_a_second(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, clock: ManualClock
) -> None:
    flood = fake.enforce_limits()
    await bot.send_message(ALICE, "一")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ALICE, "二")
    assert refused.value.retry_after == 1
    clock.now += 1
    await bot.send_message(ALICE, "二")
    assert [m["text"] for m in fake.bot_messages(ALICE)] == ["一", "二"]
    assert flood.refused == 1 and flood.busiest(ALICE, 1.0) == 1


async def test_a_group_gets_twenty_a_minute_and_everyone_thirty_a_second(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, clock: ManualClock
) -> None:
    flood = fake.enforce_limits()
    for number in range(20):
        await bot.send_message(GROUP, f"第{number}条")
        clock.now += 0.5
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(GROUP, "第21条")
    assert refused.value.retry_after == 50  # the first of the 20 leaves the window then
    clock.now += 50
    await bot.send_message(GROUP, "第21条")
    clock.now += 1

    people = [fake.user(user_id=5000 + n, first_name=f"居民{n}") for n in range(31)]
    for person in people[:30]:
        await bot.send_message(person.id, "通知")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(people[30].id, "通知")
    assert flood.refused == 2 and flood.busiest(GROUP, 60.0) == 20


async def test_limits_scale_down_for_quick_tests(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, clock: ManualClock
) -> None:
    fake.enforce_limits(Limits(group=(2, 3.0)))
    await bot.send_message(GROUP, "一")
    await bot.send_message(GROUP, "二")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(GROUP, "三")
    assert refused.value.retry_after == 3


async def test_a_slow_answer_comes_late_and_one_given_up_on_is_never_carried_out(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    fake.slow_down("sendMessage", 0.3, chat_id=ALICE, times=1)
    await bot.send_message(ALICE, "慢")
    fake.slow_down("sendMessage", 1, chat_id=ALICE, times=1)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ALICE, "超时", request_timeout=0.2)
    await fake.wait_for(lambda: fake.requests[-1].status == 499, timeout=10)
    await asyncio.sleep(0)
    assert [m["text"] for m in fake.bot_messages(ALICE)] == ["慢"]
