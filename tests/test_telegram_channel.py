"""The Telegram channel through the real HTTP boundary: what each Bot API answer means for
the outbox (sent, retry later, or undeliverable)."""

import gc
import weakref
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import Response
from aiogram.types import Message

from bot.delivery.outbox import Action, Content
from bot.delivery.sender import Envelope, RetryLater, Undeliverable
from bot.fake_telegram import FakeTelegram
from bot.settings import TelegramSettings
from bot.telegram.channel import TEXT_LIMIT, TelegramChannel, split_plain
from bot.telegram.dispatcher import build_bot
from tests.support.harness import BOT_TOKEN


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeTelegram, TelegramChannel]]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot")
    url = await fake.start()
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    yield fake, TelegramChannel(bot)
    await bot.session.close()
    await fake.stop()


def outgoing(chat_id: int, text: str, *actions: Action, replaces: int | None = None) -> Envelope:
    return Envelope(str(chat_id), Content(text, actions), str(replaces) if replaces else None)


async def test_html_is_sent_and_the_message_id_returned(world):
    fake, channel = world
    fake.user(user_id=42, first_name="小红")
    receipt = await channel.deliver(outgoing(42, "<b>A-2026-000001</b> 已答复 &lt;3"))
    (sent,) = fake.bot_messages(42)
    assert (str(sent["message_id"]), receipt.parts) == (receipt.id, ())
    assert sent["text"] == "A-2026-000001 已答复 <3"
    assert sent["entities"][0]["type"] == "bold"


async def test_a_text_too_long_for_one_message_is_sent_whole_in_pieces(world):
    fake, channel = world
    fake.user(user_id=42, first_name="小红")
    text = "\n".join(f"第{i}行：" + "很长的意见" * 40 for i in range(60))
    receipt = await channel.deliver(outgoing(42, text))
    pieces = [m["text"] for m in fake.bot_messages(42)]
    ids = [str(m["message_id"]) for m in fake.bot_messages(42)]
    assert len(pieces) == 4 and (receipt.id, *receipt.parts) == tuple(ids)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert all(len(piece) <= TEXT_LIMIT for piece in pieces)


def test_split_prefers_line_breaks_and_loses_nothing():
    text = "甲" * 3000 + "\n" + "乙" * 3000
    assert split_plain(text) == ["甲" * 3000 + "\n", "乙" * 3000]
    assert "".join(split_plain("丙" * 9000)) == "丙" * 9000


async def test_flood_control_becomes_retry_later_with_telegrams_delay(world):
    fake, channel = world
    fake.user(user_id=42, first_name="小红")
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryLater) as later:
        await channel.deliver(outgoing(42, "你好"))
    assert later.value.seconds == 3


async def test_server_trouble_is_retried_and_a_blocked_bot_is_undeliverable(world):
    fake, channel = world
    resident = fake.user(user_id=42, first_name="小红")
    fake.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(RetryLater) as later:
        await channel.deliver(outgoing(42, "你好"))
    assert later.value.seconds is None  # the sender's backoff decides
    resident.block_bot()
    with pytest.raises(Undeliverable, match="bot was blocked by the user"):
        await channel.deliver(outgoing(42, "你好"))
    with pytest.raises(Undeliverable, match="chat not found"):
        await channel.deliver(outgoing(-100999, "你好"))


async def test_actions_become_buttons_and_a_replacement_edits_the_message_in_place(world):
    fake, channel = world
    fake.user(user_id=42, first_name="小红")
    receipt = (await channel.deliver(outgoing(42, "状态：已受理", Action("claim", "认领", 17)))).id
    (card,) = fake.bot_messages(42)
    (row,) = card["reply_markup"]["inline_keyboard"]
    assert row == [{"text": "认领", "callback_data": "claim:17"}]
    again = (await channel.deliver(outgoing(42, "状态：已答复", replaces=int(receipt)))).id
    assert again == receipt
    (card,) = fake.bot_messages(42)
    assert card["text"] == "状态：已答复" and "reply_markup" not in card
    # Replacing with the same text is not an error: the message already says it.
    same = await channel.deliver(outgoing(42, "状态：已答复", replaces=int(receipt)))
    assert same.id == receipt


async def test_the_bot_keeps_the_answer_types_it_has_read_built():
    """pydantic holds `Response[T]` only weakly; the bot keeps each one it has used, so an
    answer is not read by a model built again after every garbage collection."""
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot")
    url = await fake.start()
    bot = build_bot(TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=url))
    try:
        fake.user(user_id=43, first_name="小红")
        await bot.send_message(43, "您好")
        read = weakref.ref(Response[Message])
        gc.collect()
        assert read() is not None
    finally:
        await bot.session.close()
        await fake.stop()
