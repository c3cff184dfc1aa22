"""Odd input a resident or deputy gives without meaning harm: a button pressed twice, a button
the bot no longer understands, a first message as long as Telegram allows, an edited message.
Over HTTP against the fake Bot API, on SQLite + memory and on PostgreSQL + Redis."""

import itertools
import zlib
from typing import Any

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from bot.fake_telegram.updates import enqueue
from storage.models import Ticket
from tests.support.harness import Harness
from tests.support.stories import (
    HAIDE_GROUP_1,
    OPINION,
    WANG_JIANGUO,
    answer_to,
    card_in_group,
    press_submit,
    register_in_haide,
)

APOLOGY = "抱歉，系统暂时出现问题，请稍后再试。"
OUT_OF_DATE = "该按钮已失效，请重新操作。"
# Left by an older version of the bot, or pointing at an area no longer in the directory.
ODD_DATA = [
    "area:abc:0",
    "area:1:banana",
    "area:99999999999999999999:0",
    "area:987654:0",
    "lang:xx",
    "draft:delete",
    "foo:bar",
    "x" * 64,
]


async def old_buttons(harness: Harness, chat_id: int, *data: str) -> dict[str, Any]:
    """A message with these buttons, as an older version of the bot left it in the chat."""
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d[:20], callback_data=d)] for d in data]
    )
    sent = await harness.app.bot.send_message(chat_id, "旧版本的按钮", reply_markup=markup)
    return next(m for m in harness.fake.bot_messages(chat_id) if m["message_id"] == sent.message_id)


_no_data_queries = itertools.count(1)


def press_without_data(harness: Harness, user: Any, message: dict[str, Any]) -> str:
    """A press whose query carries no data at all (as a game button's does; Telegram never
    sends empty data). The fake's users press only buttons with data, so it is made here."""
    fake = harness.fake
    query_id = str(2 * 10**15 + next(_no_data_queries))
    fake._queries[query_id] = fake.clock()
    query = {
        "id": query_id,
        "from": user.as_dict(),
        "message": message,
        "chat_instance": str(zlib.crc32(str(message["chat"]["id"]).encode())),
        "game_short_name": "old_game",
    }
    enqueue(fake, "callback_query", query)
    return query_id


async def test_a_button_pressed_twice_is_no_error(harness: Harness):
    fake = harness.fake
    resident = fake.user(user_id=5101, first_name="小红", language_code="zh-hans")
    await resident.send_text(OPINION)  # a draft, so choosing the area offers to submit it
    await harness.bot_says(resident.id, "您写的内容已保留")
    await resident.send_text("/language")
    question = await harness.bot_says(resident.id, "请选择语言")
    presses = [await harness.press(resident, question, "简体中文") for _ in range(2)]
    picker = await harness.bot_says(
        resident.id, "请选择您所在的区（县）", after=question["message_id"]
    )
    for press in presses:
        assert (await answer_to(harness, press)).text is None
    await harness.press(resident, picker, "江滨区")
    picker = await harness.bot_says(resident.id, "请选择您所在的街道（乡镇）：")
    await harness.press(resident, picker, "海德街道")
    picker = await harness.bot_says(resident.id, "请选择您所在的社区（村）：")
    presses = [await harness.press(resident, picker, "和祥社区") for _ in range(2)]
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    for press in presses:
        assert (await answer_to(harness, press)).text is None
    presses = [await harness.press(resident, prompt, "取消") for _ in range(2)]
    for press in presses:
        assert (await answer_to(harness, press)).text is None
    await harness.bot_says(resident.id, "已取消，内容未提交。")
    # Everything before /help was handled in full by the time it is answered.
    await resident.send_text("/help")
    await harness.bot_says(resident.id, "/area")
    sent = [r.params.get("text", "") for r in fake.requests if r.method == "sendMessage"]
    # One district question with the draft kept, one after the language: none twice.
    assert len([text for text in sent if "请选择您所在的区（县）" in text]) == 2
    assert len([text for text in sent if "已记下" in text]) == 1
    assert not any(APOLOGY in text for text in sent)


@pytest.mark.parametrize("data", ODD_DATA)
async def test_a_button_the_bot_cannot_read_is_answered_as_out_of_date(harness: Harness, data: str):
    resident = harness.fake.user(user_id=5102, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    message = await old_buttons(harness, resident.id, data)
    answer = await answer_to(harness, await resident.press(message, data))
    assert answer.text == OUT_OF_DATE
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(Ticket)) is None


async def test_every_press_is_answered_in_the_person_s_language_in_any_chat(harness: Harness):
    anna = harness.fake.user(user_id=5103, first_name="Anna", language_code="en")
    await anna.send_text("/start")
    await harness.bot_says(anna.id, "Which district do you live in?")
    message = await old_buttons(harness, anna.id, "lang:xx")
    answer = await answer_to(harness, await anna.press(message, "lang:xx"))
    assert answer.text == "This button is out of date. Please start again."
    answer = await answer_to(harness, press_without_data(harness, anna, message))
    assert answer.text == "This button is out of date. Please start again."
    group = harness.groups[HAIDE_GROUP_1]
    message = await old_buttons(harness, group.id, "foo:bar")
    wang = group.members[WANG_JIANGUO]
    answer = await answer_to(harness, await wang.press(message, "foo:bar"))
    assert answer.text == OUT_OF_DATE


async def test_a_first_message_as_long_as_telegram_allows_can_be_submitted(harness: Harness):
    resident = harness.fake.user(user_id=5104, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    long_opinion = "路灯坏了，" * 800  # 4,000 characters
    await resident.send_text(long_opinion)
    prompt = await harness.bot_says(resident.id, "已记下（共1条，4000字）")
    # More than the limit only now that something is written: the refusal offers to submit it.
    await resident.send_text("补充" * 60)
    refusal = await harness.bot_says(resident.id, "请先提交已写的内容")
    assert "超过4096字" in refusal["text"]
    await press_submit(harness, resident, refusal)
    await harness.bot_says(resident.id, "已收到。")
    await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    await harness.outbox_settled()
    card = "".join(m["text"] for m in harness.fake.bot_messages(HAIDE_GROUP_1))
    assert long_opinion in card
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == long_opinion
    assert prompt["message_id"] < refusal["message_id"]


async def test_an_edited_message_of_a_draft_is_submitted_as_edited(harness: Harness):
    resident = harness.fake.user(user_id=5105, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    first = await resident.send_text("路灯坏了。")
    first_prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await resident.send_text("井盖也松了。")
    await harness.bot_says(resident.id, "已记下（共2条")
    await resident.edit_text(first, "和祥社区3号楼门口的路灯坏了。")
    prompt = await harness.bot_says(resident.id, "已按修改后的内容更新（共2条，21字）")
    assert prompt["reply_markup"]  # the newest prompt carries Submit
    await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert "和祥社区3号楼门口的路灯坏了。\n\n井盖也松了。" in card["text"]
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == "和祥社区3号楼门口的路灯坏了。\n\n井盖也松了。"
    assert first_prompt["message_id"] < prompt["message_id"]


async def test_an_edit_before_choosing_an_area_is_kept(harness: Harness):
    resident = harness.fake.user(user_id=5106, first_name="小红", language_code="zh-hans")
    first = await resident.send_text("路灯坏了。")
    picker = await harness.bot_says(resident.id, "您写的内容已保留")
    await resident.edit_text(first, OPINION)
    await harness.bot_says(resident.id, "已按修改后的内容更新。")
    await harness.press(resident, picker, "江滨区")
    picker = await harness.bot_says(resident.id, "请选择您所在的街道（乡镇）：")
    await harness.press(resident, picker, "海德街道")
    picker = await harness.bot_says(resident.id, "请选择您所在的社区（村）：")
    await harness.press(resident, picker, "和祥社区")
    prompt = await harness.bot_says(resident.id, f"已记下（共1条，{len(OPINION)}字）")
    await press_submit(harness, resident, prompt)
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert OPINION in card["text"] and "路灯坏了。\n" not in card["text"]


async def test_an_edit_outside_a_draft_gets_a_polite_answer(harness: Harness):
    resident = harness.fake.user(user_id=5107, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    sent = await resident.send_text(OPINION)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    await resident.edit_text(sent, "改一下：路灯已经修好了。")
    answer = await harness.bot_says(resident.id, "只有尚未提交的意见建议可以修改")
    assert answer["reply_to_message"]["message_id"] == sent["message_id"]
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == OPINION


async def test_an_edit_in_a_deputy_group_gets_no_answer(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    sent = await wang.send_text("大家好，本周五下午我在联络站接待。", chat=group)
    await wang.edit_text(sent, "大家好，本周六上午我在联络站接待。")
    resident = harness.fake.user(user_id=5108, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await press_submit(harness, resident, prompt)
    card = await card_in_group(harness, group.id, "A-2026-000001")
    # Wang's updates in the group come one at a time: this refusal comes after the edit's turn.
    await wang.send_sticker(chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "这类消息无法转达")
    assert not any("修改" in m.get("text", "") for m in harness.fake.bot_messages(group.id))
