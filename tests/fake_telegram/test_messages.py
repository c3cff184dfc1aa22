"""Messages in chats: who the bot may write to, replies, edits, deletion, copies and forwards,
what users send, inline buttons and callback answers, commands and chat members."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    Message,
    MessageOriginUser,
    ReplyParameters,
)

from bot.fake_telegram import CallbackAnswer, FakeChat, FakeTelegram, FakeUser
from tests.fake_telegram.support import ALICE, GROUP, ManualClock, keyboard


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
