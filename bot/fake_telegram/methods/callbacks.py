"""answerCallbackQuery: the bot's answer to a button a user pressed (FakeUser.press)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.fake_telegram.errors import QUERY_TOO_OLD, bad_request
from bot.fake_telegram.objects import Json
from bot.fake_telegram.world import CallbackAnswer

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

CALLBACK_TEXT_LIMIT = 200  # characters of an answerCallbackQuery notification
CALLBACK_ANSWER_WINDOW = 15.0  # seconds a callback query stays answerable


async def answer_callback_query(fake: FakeTelegram, p: Json) -> bool:
    query_id = p["callback_query_id"]
    pressed = fake._queries.get(query_id)
    if pressed is None or fake.clock() - pressed > CALLBACK_ANSWER_WINDOW:
        raise bad_request(QUERY_TOO_OLD)
    if len(p.get("text", "")) > CALLBACK_TEXT_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    del fake._queries[query_id]
    answer = CallbackAnswer(p.get("text"), p.get("show_alert", False), p.get("url"))
    fake.callback_answers[query_id] = answer
    fake.feed.record(
        "callback_answer", None, query_id=query_id, text=answer.text, show_alert=answer.show_alert
    )
    return True
