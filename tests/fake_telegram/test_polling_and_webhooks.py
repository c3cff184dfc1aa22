"""Updates reaching the bot: long polling with offsets, conflicts between pollers, allowed_updates,
redelivery, webhooks with their secret, retries and replies, and a real aiogram dispatcher."""

import asyncio
import time
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramConflictError
from aiogram.types import Message
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.fake_telegram import FakeTelegram, FakeUser
from tests.fake_telegram.support import ALICE


async def test_user_text_arrives_by_get_updates_and_offset_confirms_it(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    sent = await alice.send_text("/start 路灯坏了")

    updates = await bot.get_updates()
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert (message.message_id, message.chat.id, message.text) == (
        sent["message_id"],
        ALICE,
        "/start 路灯坏了",
    )
    assert message.from_user is not None and message.from_user.first_name == "小红"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]

    assert await bot.get_updates(offset=updates[0].update_id + 1) == []
    assert fake.pending_updates() == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot: Bot, alice: FakeUser) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()

    await alice.send_text("在吗")
    updates = await asyncio.wait_for(poll, timeout=3)

    assert [u.message.text for u in updates if u.message] == ["在吗"]
    assert time.monotonic() - started < 3


async def test_long_poll_without_updates_waits_for_its_timeout(bot: Bot) -> None:
    started = time.monotonic()

    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_a_second_poller_ends_the_first_with_a_conflict(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)

    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, timeout=3)
    assert await second == []


async def test_allowed_updates_filter_later_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    assert await bot.get_updates(allowed_updates=["callback_query"]) == []

    await alice.send_text("不会送达")

    assert fake.pending_updates() == []


async def test_redelivery_hands_out_the_same_update_id_again(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await alice.send_text("一次")
    first = await bot.get_updates()
    update_id = first[0].update_id
    assert await bot.get_updates(offset=update_id + 1) == []

    fake.redeliver(update_id)

    again = await bot.get_updates(offset=update_id + 1)
    assert [(u.update_id, u.message.text) for u in again if u.message] == [(update_id, "一次")]
    assert await bot.get_updates(offset=update_id + 1) == []


async def test_webhook_delivery_with_secret_retry_and_reply(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if len(received) == 1:
            return web.Response(status=500)  # the fake must try again
        return web.json_response({"method": "sendMessage", "chat_id": ALICE, "text": "收到"})

    app = web.Application()
    app.router.add_post("/hook", webhook)
    receiver = TestServer(app)
    await receiver.start_server()
    hook_url = str(receiver.make_url("/hook"))
    try:
        assert await bot.set_webhook(hook_url, secret_token="s3cret") is True
        with pytest.raises(TelegramConflictError, match="can't use getUpdates method while"):
            await bot.get_updates()

        await alice.send_text("路灯坏了")
        await fake.wait_for(lambda: len(fake.bot_messages(ALICE)) == 1, timeout=5)

        assert [secret for secret, _ in received] == ["s3cret", "s3cret"]
        assert received[0][1] == received[1][1]  # same update, same update_id
        assert received[1][1]["message"]["text"] == "路灯坏了"
        assert fake.bot_messages(ALICE)[0]["text"] == "收到"
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (hook_url, 0)
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        assert await bot.delete_webhook() is True
        assert await bot.get_updates() == []
    finally:
        await receiver.close()


async def test_a_real_dispatcher_polls_the_fake_and_answers(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    router = Router()

    @router.message()
    async def acknowledge(message: Message) -> None:
        await message.answer(f"收到：{message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        await alice.send_text("路灯坏了")
        await fake.wait_for(lambda: len(fake.bot_messages(ALICE)) == 1, timeout=5)
        await fake.wait_for(lambda: not fake.pending_updates(), timeout=5)  # offset confirmed
    finally:
        await dispatcher.stop_polling()
        await polling

    assert [m["text"] for m in fake.messages(ALICE)] == ["路灯坏了", "收到：路灯坏了"]
