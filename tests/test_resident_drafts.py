"""Drafts in the database: an opinion being written survives a restart of the bot on every
backend (the embedded SQLite one too), and a draft left alone for a day is kept, the resident
being asked whether to go on with it or start anew."""


from sqlalchemy import select

from storage.models import Draft, Ticket
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, register_in_haide


async def test_a_draft_survives_a_restart_of_the_bot(harness: Harness):
    resident = harness.fake.user(user_id=5401, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text("第一段：路灯坏了。")
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await harness.restart()
    await resident.send_text("第二段：井盖也松了。")
    prompt = await harness.bot_says(resident.id, "已记下（共2条", after=prompt["message_id"])
    await harness.press(resident, prompt, "提交")
    await harness.bot_says(resident.id, "已收到。")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert "第一段：路灯坏了。\n\n第二段：井盖也松了。" in card["text"]
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(Draft)) is None  # submitted: gone
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == "第一段：路灯坏了。\n\n第二段：井盖也松了。"
