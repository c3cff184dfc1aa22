"""Fixtures of the fake's tests: a FakeTelegram with a bot, served on a free port, the real
aiogram client pointed at it, and the people and forum the tests talk about."""

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser
from tests.fake_telegram.support import ALICE, GROUP, TOKEN, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(clock=clock, webhook_retry_delay=0.01)
    fake.add_bot(token=TOKEN, username="liaison_test_bot", first_name="代表联络站")
    yield fake
    await fake.stop()


@pytest.fixture
async def base_url(fake: FakeTelegram) -> str:
    return await fake.start()


@pytest.fixture
async def bot(base_url: str) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    yield bot
    await bot.session.close()


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.user(user_id=ALICE, first_name="小红", last_name="李", language_code="zh-hans")


@pytest.fixture
def deputy(fake: FakeTelegram) -> FakeUser:
    return fake.user(user_id=2001, first_name="建国", last_name="王")


@pytest.fixture
def forum(fake: FakeTelegram, deputy: FakeUser) -> FakeChat:
    return fake.group(chat_id=GROUP, title="海德街道第一代表小组", members=[deputy], is_forum=True)
