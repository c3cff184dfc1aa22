"""The fake's public feed: what the bot sent, edited and deleted, what users did, and the
topics and reply keyboards they see, in order, for a client to follow."""

import asyncio

from aiogram import Bot
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser
from tests.fake_telegram.support import ALICE, GROUP


def kinds(fake: FakeTelegram, after: int = 0) -> list[tuple[str, int | None]]:
    return [(change.kind, change.chat_id) for change in fake.feed.since(after)]


async def test_the_feed_follows_messages_edits_and_deletions(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
):
    await alice.send_text("路灯坏了")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="提交", callback_data="submit")]]
    )
    sent = await bot.send_message(ALICE, "<b>已记下</b>", parse_mode="HTML", reply_markup=keyboard)
    await bot.edit_message_text("已提交", chat_id=ALICE, message_id=sent.message_id)
    await bot.delete_message(ALICE, sent.message_id)

    changes = fake.feed.since(0)
    assert kinds(fake) == [
        ("message", ALICE),
        ("message", ALICE),
        ("edited", ALICE),
        ("deleted", ALICE),
    ]
    assert changes[0].data["message"]["text"] == "路灯坏了"
    assert changes[1].data["message"]["entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert changes[1].data["message"]["reply_markup"] == keyboard.model_dump(exclude_none=True)
    assert changes[2].data["message"]["text"] == "已提交"
    assert "reply_markup" not in changes[2].data["message"]
    assert changes[3].data == {"message_id": sent.message_id}
    assert [c.number for c in changes] == sorted(c.number for c in changes)
    assert fake.feed.last_number == changes[-1].number
    # A change is a copy: later changes to the world do not rewrite it.
    assert changes[1].data["message"]["text"] == "已记下"


async def test_presses_and_their_answers_are_in_the_feed(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
):
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="满意", callback_data="rate:5")]]
    )
    sent = await bot.send_message(ALICE, "请评价", reply_markup=keyboard)
    after = fake.feed.last_number
    query_id = await alice.press(sent.model_dump(), "rate:5")
    await bot.answer_callback_query(query_id, text="谢谢您的评价")
    pressed, answered = fake.feed.since(after)
    assert (pressed.kind, pressed.chat_id, pressed.data["data"]) == ("pressed", ALICE, "rate:5")
    assert pressed.data["query_id"] == query_id
    assert answered.as_dict() == {
        "number": answered.number,
        "kind": "callback_answer",
        "chat_id": None,
        "query_id": query_id,
        "text": "谢谢您的评价",
        "show_alert": False,
    }


async def test_a_reply_keyboard_is_shown_until_removed(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
):
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="发送位置", request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await bot.send_message(ALICE, "请发送您的位置", reply_markup=keyboard)
    shown = fake.reply_keyboard(ALICE)
    assert shown == keyboard.model_dump(exclude_none=True)
    # The message keeps no trace of it, as in Telegram.
    assert "reply_markup" not in fake.messages(ALICE)[-1]
    await bot.send_message(ALICE, "请回复", reply_markup=ForceReply())
    assert fake.reply_keyboard(ALICE) == shown  # a forced reply leaves the keyboard alone
    await bot.send_message(ALICE, "已收到", reply_markup=ReplyKeyboardRemove())
    assert fake.reply_keyboard(ALICE) is None
    keyboards = [c.data["reply_markup"] for c in fake.feed.since(0) if c.kind == "keyboard"]
    assert keyboards == [shown, None]


async def test_topics_are_followed(fake: FakeTelegram, bot: Bot, forum: FakeChat):
    topic = await bot.create_forum_topic(GROUP, "意见建议（A-2026-000001）")
    await bot.close_forum_topic(GROUP, topic.message_thread_id)
    changes = [c for c in fake.feed.since(0) if c.kind == "topic"]
    assert [(c.data["topic"]["name"], c.data["closed"]) for c in changes] == [
        ("意见建议（A-2026-000001）", False),
        ("意见建议（A-2026-000001）", True),
    ]
    assert fake.topics(GROUP) == [
        {
            "message_thread_id": topic.message_thread_id,
            "name": "意见建议（A-2026-000001）",
            "icon_color": topic.icon_color,
            "is_closed": True,
        }
    ]
    await bot.delete_forum_topic(GROUP, topic.message_thread_id)
    assert fake.feed.since(0)[-1].data["topic"] is None
    assert fake.topics(GROUP) == []


async def test_a_follower_waits_for_the_next_change(fake: FakeTelegram, alice: FakeUser):
    seen = fake.feed.last_number
    assert await fake.feed.wait_since(seen, timeout=0.01) == []
    waiting = asyncio.create_task(fake.feed.wait_since(seen, timeout=10))
    await asyncio.sleep(0)
    assert not waiting.done()
    await alice.send_text("你好")
    (change,) = await waiting
    assert change.kind == "message"
    assert change.data["message"]["text"] == "你好"


def test_old_changes_are_dropped_beyond_what_is_kept(alice: FakeUser):
    from bot.fake_telegram import Feed

    feed = Feed(kept=2)
    for number in range(3):
        feed.record("message", ALICE, message={"text": str(number)})
    assert [c.data["message"]["text"] for c in feed.since(0)] == ["1", "2"]
    assert feed.last_number == 3


async def test_photos_can_be_fetched_by_file_id(fake: FakeTelegram, alice: FakeUser):
    from bot.fake_telegram import tiny_png

    sent = await alice.send_photo(tiny_png(), caption="照片")
    data, content_type = fake.file(sent["photo"][-1]["file_id"]) or (b"", "")
    assert data == tiny_png()
    assert content_type == "image/jpeg"
    assert fake.file("no such file") is None
