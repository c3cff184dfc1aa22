"""The fake's HTTP protocol: routes, tokens, request bodies, the spec's checks on what comes in
and goes out, injected failures, and the helpers tests drive it with."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiohttp.test_utils import TestClient, TestServer

from bot.fake_telegram import (
    HANDLERS,
    FakeChat,
    FakeTelegram,
    FakeUser,
    SpecViolation,
    check_object,
    load_spec,
)
from tests.fake_telegram.support import ALICE, GROUP, TOKEN, keyboard


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def raw_call(
    http: aiohttp.ClientSession, base_url: str, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{base_url}/bot{TOKEN}/{method}", **kwargs) as response:
        return response.status, await response.json()


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "liaison_test_bot",
        "代表联络站",
    )


async def test_unknown_method_is_404_and_names_are_case_insensitive(
    base_url: str, http: aiohttp.ClientSession, fake: FakeTelegram
) -> None:
    assert await raw_call(http, base_url, "sendTelepathy") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )

    status, body = await raw_call(http, base_url, "GETME")
    assert (status, body["ok"]) == (200, True)
    assert [(r.method, r.status) for r in fake.requests] == [("sendTelepathy", 404), ("getMe", 200)]


async def test_missing_required_fields_are_refused_in_telegrams_words(
    base_url: str, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    without_text = await raw_call(http, base_url, "sendMessage", data={"chat_id": str(ALICE)})
    without_chat = await raw_call(http, base_url, "sendMessage", data={"text": "hi"})
    without_user = await raw_call(http, base_url, "getChatMember", json={"chat_id": ALICE})

    assert without_text == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    assert without_chat[1]["description"] == "Bad Request: chat_id is empty"
    assert without_user[1]["description"] == "Bad Request: user_id is required"


async def test_values_of_the_wrong_type_are_refused(
    base_url: str, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    async def description(method: str, **params: str) -> object:
        status, body = await raw_call(http, base_url, method, data=params)
        assert status == 400
        return body["description"]

    chat = str(ALICE)
    assert (
        await description("deleteMessage", chat_id=chat, message_id="abc")
        == "Bad Request: can't parse message_id: must be of type Integer"
    )
    assert (
        await description("sendMessage", chat_id=chat, text="hi", disable_notification="maybe")
        == "Bad Request: can't parse disable_notification: must be of type Boolean"
    )
    assert (
        await description("sendMessage", chat_id=chat, text="hi", reply_markup="{not json")
        == "Bad Request: can't parse reply keyboard markup JSON object"
    )
    no_text = '{"inline_keyboard": [[{"callback_data": "x"}]]}'
    assert await description("sendMessage", chat_id=chat, text="hi", reply_markup=no_text) == (
        "Bad Request: can't parse reply_markup: Can't find field \"text\" of "
        "InlineKeyboardButton at reply_markup.inline_keyboard[0][0]"
    )
    text_only = '{"inline_keyboard": [[{"text": "x"}]]}'
    assert await description("sendMessage", chat_id=chat, text="hi", reply_markup=text_only) == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


async def test_query_string_form_and_json_bodies_all_work(
    base_url: str, http: aiohttp.ClientSession, fake: FakeTelegram, alice: FakeUser
) -> None:
    url = f"{base_url}/bot{TOKEN}/sendMessage"
    async with http.get(url, params={"chat_id": str(ALICE), "text": "one"}) as response:
        assert response.status == 200
    async with http.post(url, data={"chat_id": str(ALICE), "text": "two"}) as response:
        assert response.status == 200
    async with http.post(url, json={"chat_id": ALICE, "text": "three"}) as response:
        body = await response.json()

    assert body["result"]["text"] == "three"
    assert [m["text"] for m in fake.bot_messages(ALICE)] == ["one", "two", "three"]
    assert [m["message_id"] for m in fake.bot_messages(ALICE)] == [1, 2, 3]


async def test_unknown_token_is_unauthorized(base_url: str) -> None:
    stranger = Bot(
        "999999:not-our-token", session=AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    )
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_injected_flood_error_surfaces_as_retry_after(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    fake.fail_next("sendMessage", error_code=429, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(ALICE, "第一次")
    await bot.send_message(ALICE, "第二次")

    assert flood.value.retry_after == 3
    assert fake.requests[0].description == "Too Many Requests: retry after 3"
    assert [(r.method, r.status) for r in fake.requests] == [
        ("sendMessage", 429),
        ("sendMessage", 200),
    ]
    assert [m["text"] for m in fake.bot_messages(ALICE)] == ["第二次"]


async def test_injected_error_can_target_one_chat(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, deputy: FakeUser
) -> None:
    fake.fail_next("SENDMESSAGE", error_code=500, description="Internal Server Error", chat_id=2001)

    await bot.send_message(ALICE, "ok")
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(2001, "fails once")
    await bot.send_message(2001, "ok now")

    assert [m["text"] for m in fake.bot_messages(2001)] == ["ok now"]


async def test_injected_migration_surfaces_the_new_chat_id(
    bot: Bot, fake: FakeTelegram, forum: FakeChat
) -> None:
    upgraded = "Bad Request: group chat was upgraded to a supergroup chat"
    fake.fail_next("sendMessage", 400, upgraded, migrate_to_chat_id=-1009876543210)

    with pytest.raises(TelegramMigrateToChat) as moved:
        await bot.send_message(GROUP, "通知")

    assert moved.value.migrate_to_chat_id == -1009876543210
    with pytest.raises(ValueError, match="give retry_after"):
        fake.fail_next("sendMessage", 429)


async def test_methods_outside_the_fake_are_refused_plainly(bot: Bot) -> None:
    with pytest.raises(
        TelegramBadRequest, match="Bad Request: method is not supported by the fake"
    ):
        await bot.log_out()


async def test_wait_for_explains_a_timeout_with_the_last_requests(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(4242, "lost")

    with pytest.raises(TimeoutError, match=r"sendMessage -> 400 Bad Request: chat not found"):
        await fake.wait_for(lambda: len(fake.bot_messages(ALICE)) > 0, timeout=0.2)


async def test_answers_follow_the_spec_and_handlers_name_real_methods(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(ALICE, "<b>hi</b>", parse_mode="HTML", reply_markup=keyboard("x"))

    check_object(fake.messages(ALICE)[-1], "Message")
    check_object(fake.pending_updates(), "Array of Update")
    assert set(HANDLERS) <= set(load_spec().methods)
    assert sent.message_id == 2
    with pytest.raises(SpecViolation, match='Can\'t find field "chat" of Message'):
        check_object({"message_id": 1, "date": 0}, "Message")
    with pytest.raises(SpecViolation, match="must be of type Integer"):
        check_object(
            {"message_id": "1", "date": 0, "chat": {"id": 1, "type": "private"}}, "Message"
        )


async def test_the_app_serves_under_aiohttp_test_utilities() -> None:
    fake = FakeTelegram()
    fake.add_bot(token=TOKEN, username="liaison_test_bot")

    async with TestClient(TestServer(fake.app)) as client:
        response = await client.get(f"/bot{TOKEN}/getMe")
        body = await response.json()

    assert (response.status, body["result"]["username"]) == (200, "liaison_test_bot")
