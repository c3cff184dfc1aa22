"""The fake Bot API, driven by the real aiogram client over real HTTP."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginUser,
    ReplyParameters,
)
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.fake_telegram import (
    HANDLERS,
    CallbackAnswer,
    FakeChat,
    FakeTelegram,
    FakeUser,
    SpecViolation,
    check_object,
    load_spec,
    tiny_png,
)

TOKEN = "123456:TEST-token"
ALICE = 1001
GROUP = -1001234567890


class ManualClock:
    """Unix time that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


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
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.user(user_id=ALICE, first_name="小红", last_name="李", language_code="zh-hans")


@pytest.fixture
def deputy(fake: FakeTelegram) -> FakeUser:
    return fake.user(user_id=2001, first_name="建国", last_name="王")


@pytest.fixture
def forum(fake: FakeTelegram, deputy: FakeUser) -> FakeChat:
    return fake.group(chat_id=GROUP, title="海德街道第一代表小组", members=[deputy], is_forum=True)


def keyboard(callback_data: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="选择", callback_data=callback_data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


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


async def test_html_is_stored_as_plain_text_and_utf16_entities(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    html = ' <b>路灯</b> 已修好 😀 <a href="https://example.org/r?a=1&amp;b=2">详情</a> &lt;3 '

    sent = await bot.send_message(ALICE, html, parse_mode="HTML")

    plain = "路灯 已修好 😀 详情 <3"
    assert sent.text == plain
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities or []] == [
        ("bold", 0, 2, None),
        ("text_link", 10, 2, "https://example.org/r?a=1&b=2"),  # the emoji counts as 2
    ]
    stored = fake.bot_messages(ALICE)[-1]
    assert stored["text"] == plain
    assert stored["from"]["is_bot"] is True
    assert stored["entities"][1] == {
        "type": "text_link",
        "offset": 10,
        "length": 2,
        "url": "https://example.org/r?a=1&b=2",
    }


async def test_html_nesting_pre_code_spoiler_and_blockquote(bot: Bot, alice: FakeUser) -> None:
    html = (
        '<pre><code class="language-python">x = 1</code></pre>'
        '<tg-spoiler>秘密</tg-spoiler><span class="tg-spoiler">也是</span>'
        "<blockquote expandable><i>引用</i></blockquote>"
    )

    sent = await bot.send_message(ALICE, html, parse_mode="html")

    assert sent.text == "x = 1秘密也是引用"
    assert [(e.type, e.offset, e.length, e.language) for e in sent.entities or []] == [
        ("pre", 0, 5, "python"),
        ("spoiler", 5, 2, None),
        ("spoiler", 7, 2, None),
        ("expandable_blockquote", 9, 2, None),
        ("italic", 9, 2, None),
    ]


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("路灯<x>坏了</x>", 'Unsupported start tag "x" at byte offset 6'),
        ("<b>路灯", 'Can\'t find end tag corresponding to start tag "b"'),
        ("水压<0.1", "Unclosed start tag at byte offset 6"),
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_broken_html_is_refused_with_telegrams_words(
    bot: Bot, alice: FakeUser, html: str, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as refused:
        await bot.send_message(ALICE, html, parse_mode="HTML")

    assert refused.value.message == f"Bad Request: can't parse entities: {description}"


async def test_text_limits_count_utf16_after_parsing_and_trimming(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await bot.send_message(ALICE, "<b>" + "好" * 4096 + "</b>", parse_mode="HTML")

    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ALICE, "好" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ALICE, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(ALICE, " \n <b> </b>", parse_mode="HTML")
    assert len(fake.bot_messages(ALICE)) == 1


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


async def test_blocked_user_gives_forbidden_until_they_write_again(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    alice.block_bot()

    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ALICE, "通知")
    blocked = fake.pending_updates()[-1]["my_chat_member"]
    assert (blocked["old_chat_member"]["status"], blocked["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )

    await alice.send_text("/start")
    await bot.send_message(ALICE, "欢迎回来")
    assert [m["text"] for m in fake.messages(ALICE)] == ["/start", "欢迎回来"]


async def test_bot_cannot_write_first_to_a_user_who_never_started_it(
    bot: Bot, fake: FakeTelegram
) -> None:
    fake.user(user_id=3001, first_name="陌生人", started=False)

    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(3001, "你好")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(4242, "你好")


async def test_edits_refuse_identical_content_and_missing_messages(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    sent = await bot.send_message(
        ALICE, "<b>待处理</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )

    with pytest.raises(TelegramBadRequest) as same:
        await bot.edit_message_text(
            chat_id=ALICE,
            message_id=sent.message_id,
            text="<b>待处理</b>",
            parse_mode="HTML",
            reply_markup=keyboard("a"),
        )
    assert same.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text(chat_id=ALICE, message_id=999, text="x")

    # Like Telegram, an edit without reply_markup removes the keyboard.
    edited = await bot.edit_message_text(chat_id=ALICE, message_id=sent.message_id, text="已处理")
    assert isinstance(edited, Message)
    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == (
        "已处理",
        None,
        True,
    )
    assert "reply_markup" not in fake.messages(ALICE)[0]
    assert "entities" not in fake.messages(ALICE)[0]


async def test_edit_reply_markup_and_delete(
    bot: Bot, fake: FakeTelegram, clock: ManualClock, alice: FakeUser
) -> None:
    first = await bot.send_message(ALICE, "一")
    second = await bot.send_message(ALICE, "二")

    await bot.edit_message_reply_markup(
        chat_id=ALICE, message_id=first.message_id, reply_markup=keyboard("k")
    )
    assert fake.messages(ALICE)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "k"

    assert await bot.delete_message(ALICE, first.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ALICE, first.message_id)
    clock.now += 49 * 3600
    with pytest.raises(TelegramBadRequest, match="message can't be deleted for everyone"):
        await bot.delete_message(ALICE, second.message_id)
    assert [m["text"] for m in fake.messages(ALICE)] == ["二"]


async def test_pressing_a_button_and_answering_the_callback(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    await bot.send_message(ALICE, "选择片区", reply_markup=keyboard("area:12"))
    card = fake.bot_messages(ALICE)[-1]

    query_id = await alice.press(card, callback_data="area:12")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert (query.id, query.data, query.from_user.id) == (query_id, "area:12", ALICE)
    assert query.message is not None and query.message.message_id == card["message_id"]

    assert await bot.answer_callback_query(query_id, text="已选择", show_alert=True) is True
    assert fake.callback_answers[query_id] == CallbackAnswer(
        text="已选择", show_alert=True, url=None
    )
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError, match="no button with callback_data 'area:13'"):
        await alice.press(card, callback_data="area:13")


async def test_callback_queries_expire(
    bot: Bot, fake: FakeTelegram, clock: ManualClock, alice: FakeUser
) -> None:
    await bot.send_message(ALICE, "选择", reply_markup=keyboard("x"))
    query_id = await alice.press(fake.bot_messages(ALICE)[-1], callback_data="x")

    clock.now += 60
    with pytest.raises(TelegramBadRequest) as late:
        await bot.answer_callback_query(query_id)

    assert late.value.message == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert query_id not in fake.callback_answers


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, alice: FakeUser) -> None:
    await bot.send_message(ALICE, "ok", reply_markup=keyboard("区" * 21))  # 63 bytes

    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "too long", reply_markup=keyboard("区" * 22))


async def test_forum_topics_and_threads(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, deputy: FakeUser
) -> None:
    topic = await bot.create_forum_topic(GROUP, name="工单 #17 路灯")
    thread = topic.message_thread_id

    card = await bot.send_message(GROUP, "新工单", message_thread_id=thread)
    assert (card.message_thread_id, card.is_topic_message) == (thread, True)
    reply = await deputy.send_text("已联系", chat=forum, reply_to=card.message_id)
    assert reply["message_thread_id"] == thread  # a reply stays in the replied message's topic

    in_thread = fake.messages(GROUP, thread_id=thread)
    assert [m.get("forum_topic_created", {}).get("name") for m in in_thread] == [
        "工单 #17 路灯",
        None,
        None,
    ]
    assert [m.get("text") for m in in_thread] == [None, "新工单", "已联系"]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(GROUP, "迷路", message_thread_id=thread + 100)

    assert await bot.close_forum_topic(GROUP, thread) is True
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)
    assert await bot.edit_forum_topic(GROUP, thread, name="工单 #17 已办结") is True
    assert await bot.delete_forum_topic(GROUP, thread) is True
    assert fake.messages(GROUP, thread_id=thread) == []


async def test_topics_need_a_forum(bot: Bot, fake: FakeTelegram, deputy: FakeUser) -> None:
    fake.group(chat_id=-1009, title="普通群", members=[deputy])

    with pytest.raises(TelegramBadRequest, match="Bad Request: the chat is not a forum"):
        await bot.create_forum_topic(-1009, name="x")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(-1009, "x", message_thread_id=5)


async def test_group_messages_reach_the_bot_and_replies_are_checked(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, deputy: FakeUser
) -> None:
    await deputy.send_text("大家好", chat=forum)
    updates = await bot.get_updates()
    incoming = [u.message for u in updates if u.message]
    assert [(m.chat.id, m.text) for m in incoming] == [(GROUP, "大家好")]

    replied = await bot.send_message(
        GROUP, "收到", reply_parameters=ReplyParameters(message_id=incoming[0].message_id)
    )
    assert replied.reply_to_message is not None
    assert replied.reply_to_message.text == "大家好"
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to be replied not found"):
        await bot.send_message(GROUP, "?", reply_parameters=ReplyParameters(message_id=404))
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to be replied not found"):
        await bot.send_message(GROUP, "?", reply_to_message_id=404)


async def test_copy_and_forward(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, alice: FakeUser
) -> None:
    original = await alice.send_text("路灯坏了三天了")

    copied = await bot.copy_message(GROUP, from_chat_id=ALICE, message_id=original["message_id"])
    forwarded = await bot.forward_message(GROUP, ALICE, original["message_id"])

    in_group = fake.messages(GROUP)
    assert [m["text"] for m in in_group] == ["路灯坏了三天了", "路灯坏了三天了"]
    assert in_group[0]["message_id"] == copied.message_id
    assert "forward_origin" not in in_group[0]
    assert isinstance(forwarded.forward_origin, MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == ALICE
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(GROUP, from_chat_id=ALICE, message_id=999)


async def test_document_upload_round_trips_through_get_file(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    content = "第一代表小组 2025 年度报告\n".encode() * 100

    sent = await bot.send_document(
        ALICE,
        BufferedInputFile(content, filename="report.pdf"),
        caption="<i>年度报告</i>",
        parse_mode="HTML",
    )
    document = sent.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "report.pdf",
        "application/pdf",
        len(content),
    )
    assert sent.caption == "年度报告"
    assert [e.type for e in sent.caption_entities or []] == ["italic"]

    file = await bot.get_file(document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == content

    again = await bot.send_document(ALICE, document.file_id)
    assert again.document is not None and again.document.file_id == document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(ALICE, "no-such-file-id")


async def test_photos_must_be_images(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    sent = await bot.send_photo(ALICE, BufferedInputFile(tiny_png(4, 3), filename="map.png"))

    assert [(p.width, p.height) for p in sent.photo or []] == [(4, 3)]
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE, BufferedInputFile(b"not an image", filename="x.png"))

    from_user = await alice.send_photo(tiny_png(8, 8), caption="照片")
    assert (from_user["photo"][0]["width"], from_user["caption"]) == (8, "照片")
    file = await bot.get_file(from_user["photo"][0]["file_id"])
    assert file.file_size == len(tiny_png(8, 8))


async def test_unsupported_user_input_arrives_as_telegram_sends_it(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_location(39.9, 116.4)
    await alice.send_sticker("🙏")

    updates = await bot.get_updates()
    location, sticker = (u.message for u in updates)
    assert location is not None and location.location is not None
    assert (location.location.latitude, location.text) == (39.9, None)
    assert sticker is not None and sticker.sticker is not None
    assert sticker.sticker.emoji == "🙏"


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


async def test_allowed_updates_filter_later_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    assert await bot.get_updates(allowed_updates=["callback_query"]) == []

    await alice.send_text("不会送达")

    assert fake.pending_updates() == []


async def test_commands_chat_and_members(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, alice: FakeUser, deputy: FakeUser
) -> None:
    commands = [
        BotCommand(command="start", description="开始"),
        BotCommand(command="help", description="帮助"),
    ]
    group_scope = BotCommandScopeAllGroupChats()
    await bot.set_my_commands(commands)
    await bot.set_my_commands(commands[:1], scope=group_scope)

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=group_scope)] == ["start"]
    assert await bot.get_my_commands(language_code="en") == []
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start Now", description="x")])

    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title, chat.is_forum) == ("supergroup", "海德街道第一代表小组", True)
    assert (await bot.get_chat_member(GROUP, 2001)).status == "member"
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "left"
    assert (await bot.get_chat_member(GROUP, 123456)).status == "administrator"
    assert await bot.send_chat_action(GROUP, "typing") is True
    with pytest.raises(TelegramBadRequest, match="wrong parameter action in request"):
        await bot.send_chat_action(GROUP, "dancing")


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


async def test_the_app_serves_under_aiohttp_test_utilities() -> None:
    fake = FakeTelegram()
    fake.add_bot(token=TOKEN, username="liaison_test_bot")

    async with TestClient(TestServer(fake.app)) as client:
        response = await client.get(f"/bot{TOKEN}/getMe")
        body = await response.json()

    assert (response.status, body["result"]["username"]) == (200, "liaison_test_bot")
