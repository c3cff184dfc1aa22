"""Drafts in the database: an opinion being written survives a restart of the bot on every
backend (the embedded SQLite one too), and a draft left alone for a day is kept, the resident
being asked whether to go on with it or start anew."""

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import FrozenClock
from storage.models import Category, Draft, Ticket
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, press_submit, register_in_haide


async def saved(harness: Harness, prompt: dict[str, Any]) -> None:
    """Wait until the draft is saved with this prompt (the resident sees the prompt a moment
    before the draft is saved), so that moving the clock afterwards leaves it a day old."""
    async with asyncio.timeout(10):
        while True:
            async with harness.app.sessionmaker() as session:
                draft = await session.scalar(select(Draft))
            if draft is not None and draft.prompt_id == prompt["message_id"]:
                return
            await asyncio.sleep(0.05)


async def test_a_draft_survives_a_restart_of_the_bot(harness: Harness):
    resident = harness.fake.user(user_id=5401, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text("第一段：路灯坏了。")
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await harness.restart()
    await resident.send_text("第二段：井盖也松了。")
    prompt = await harness.bot_says(resident.id, "已记下（共2条", after=prompt["message_id"])
    await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert "第一段：路灯坏了。\n\n第二段：井盖也松了。" in card["text"]
    async with asyncio.timeout(10):  # submitted: gone, once the resident has been told
        while True:
            async with harness.app.sessionmaker() as session:
                if await session.scalar(select(Draft)) is None:
                    break
            await asyncio.sleep(0.05)
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == "第一段：路灯坏了。\n\n第二段：井盖也松了。"


async def test_a_draft_left_alone_for_a_day_is_kept_and_the_resident_asked(
    harness: Harness, clock: FrozenClock
):
    resident = harness.fake.user(user_id=5402, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text("第一段：路灯坏了。")
    await saved(harness, await harness.bot_says(resident.id, "已记下（共1条"))
    clock.advance(timedelta(days=1, hours=2))
    await resident.send_text("第二段：井盖也松了。")
    question = await harness.bot_says(resident.id, "尚未提交")
    assert question["text"] == (
        "您于2026年11月23日开始填写的意见建议（共1条）尚未提交，新发送的内容已一并保留。"
        "请选择继续填写，或放弃之前写的内容。"
    )
    await harness.press(resident, question, "放弃之前写的内容")
    await harness.bot_says(resident.id, "之前写的内容已放弃。")
    prompt = await harness.bot_says(resident.id, "已记下（共1条", after=question["message_id"])
    await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == "第二段：井盖也松了。"


async def test_going_on_with_a_day_old_draft_keeps_it_whole_in_english(
    harness: Harness, clock: FrozenClock
):
    resident = harness.fake.user(user_id=5403, first_name="Anna", language_code="en")
    await resident.send_text("/start")
    picker = await harness.bot_says(resident.id, "Which district do you live in?")
    for place, question in (
        ("Jiangbin District", "Please choose your street (township):"),
        ("Haide Street", "Please choose your community (village):"),
        ("Hexiang Community", "Your area: Hexiang Community"),
    ):
        await harness.press(resident, picker, place)
        picker = await harness.bot_says(resident.id, question)
    await resident.send_text("The street light is broken.")
    await saved(harness, await harness.bot_says(resident.id, "Noted (1 message"))
    clock.advance(timedelta(days=2))
    await resident.send_text("And a drain cover is loose.")
    question = await harness.bot_says(resident.id, "did not submit it")
    assert question["text"].startswith(
        "On November 23, 2026 you began an opinion or suggestion (1 message)"
    )
    await harness.press(resident, question, "Go on with it")
    await harness.bot_says(resident.id, "You go on with what you wrote before.")
    prompt = await harness.bot_says(resident.id, "Noted (2 messages")
    await press_submit(
        harness,
        resident,
        prompt,
        "Transport",
        "Submit",
        "Please choose a topic",
        "No, submit without my name",
        "May the deputies see your name?",
    )
    confirmation = await harness.bot_says(resident.id, "Received.")
    assert "An answer is due by December " in confirmation["text"]
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        assert ticket.text == "The street light is broken.\n\nAnd a drain cover is loose."
        category = await session.get(Category, ticket.category_id)
        assert category is not None and category.code == "transport"
