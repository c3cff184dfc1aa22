"""Bad input and abuse: a resident sending faster than a person could is slowed down politely,
once, and nothing already accepted is lost; names and texts with markup, right-to-left or
zero-width characters are shown literally."""

import re

from limits import parse
from sqlalchemy import select

from bot.telegram.flood import ResidentFlood
from storage.models import Draft, Ticket
from tests.support.harness import Harness
from tests.support.stories import register_in_haide, submit


def flood_of(harness: Harness) -> ResidentFlood:
    flood = harness.app.dispatcher["flood"]
    assert isinstance(flood, ResidentFlood)
    return flood


async def test_a_flooding_resident_is_slowed_down_once_and_keeps_what_was_accepted(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5701, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    flood_of(harness).item = parse("4/minute")  # a low limit, counted from here on
    for n in range(1, 5):
        await resident.send_text(f"第{n}段。")
        await harness.bot_says(resident.id, f"已记下（共{n}条")
    for n in range(5, 8):
        await resident.send_text(f"第{n}段。")
    refusal = await harness.bot_says(resident.id, "您发送消息过快")
    assert refusal["reply_to_message"]["text"] == "第5段。"
    # The wait it names is the window's: at most the minute, since the first kept message.
    wait = re.search(r"请等待(\d+)秒后重新发送", refusal["text"])
    assert wait is not None and 1 <= int(wait.group(1)) <= 60
    await harness.fake.wait_for(lambda: harness.fake.pending_updates() == [])
    await harness.outbox_settled()
    said = [m["text"] for m in harness.fake.bot_messages(resident.id)]
    assert len([text for text in said if "您发送消息过快" in text]) == 1  # told once
    async with harness.app.sessionmaker() as session:
        draft = await session.scalar(select(Draft))
        assert draft is not None
        assert [part["text"] for part in draft.parts] == [
            "第1段。",
            "第2段。",
            "第3段。",
            "第4段。",
        ]


async def test_markup_right_to_left_and_zero_width_characters_are_shown_literally(
    harness: Harness,
):
    name = "<b>Ali</b> &amp; \u202eزينب\u200b"
    resident = harness.fake.user(user_id=5702, first_name=name, language_code="ar")
    await resident.send_text("/start")
    greeting = await harness.bot_says(resident.id, "Hello, ")
    assert greeting["text"].startswith(f"Hello, {name}! ")
    assert not greeting.get("entities")
    await resident.send_text("/language")
    question = await harness.bot_says(resident.id, "Please choose your language:")
    await harness.press(resident, question, "简体中文")
    await harness.bot_says(resident.id, "请选择您所在的区（县）")
    opinion = "路灯<i>坏了</i> & <a href='x'>链接</a>\u200f\u200b"
    other = harness.fake.user(user_id=5703, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, other)
    confirmation = await submit(harness, other, opinion)
    assert "<" not in confirmation["text"].split("。")[0]
    card = await harness.bot_says(-1001000000101, "意见建议（A-2026-000001）")
    assert opinion in card["text"]
    start = card["text"].index(opinion)  # all in the BMP: UTF-16 offsets are the same
    assert not any(
        e["offset"] < start + len(opinion) and start < e["offset"] + e["length"]
        for e in card.get("entities", [])
    )  # no formatting falls on the resident's text
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == opinion


async def test_only_emoji_or_invisible_characters_are_answered_not_kept(harness: Harness):
    for user_id, code, said in (
        (5704, "zh-hans", "这条消息没有文字内容"),
        (5705, "en", "This message has no words in it"),
    ):
        resident = harness.fake.user(user_id=user_id, first_name="小红", language_code=code)
        await resident.send_text("👍👍 🎉\u200b")
        answer = await harness.bot_says(resident.id, said)
        assert answer["reply_to_message"]["text"] == "👍👍 🎉\u200b"
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(Draft)) is None
