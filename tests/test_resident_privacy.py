"""Privacy and control: /privacy says what is kept, who sees it and how long; /forget, once
confirmed, deletes the resident's personal data and keeps their tickets, anonymised."""

from sqlalchemy import func, select

from storage.models import Contact, Draft, Resident, Ticket
from tests.support.harness import Harness
from tests.support.stories import register_in_haide, submit


async def test_privacy_in_both_languages(harness: Harness):
    for user_id, code, expected in (
        (5601, "zh-hans", ["保存哪些信息", "谁能看到", "原始消息在7天后删除", "/forget"]),
        (5602, "en", ["What is kept", "Who sees it", "deleted after 7 days", "/forget"]),
    ):
        resident = harness.fake.user(user_id=user_id, first_name="小红", language_code=code)
        await resident.send_text("/privacy")
        text = (await harness.bot_says(resident.id, expected[0]))["text"]
        assert all(part in text for part in expected), text


async def test_forget_deletes_personal_data_and_keeps_the_tickets(harness: Harness):
    resident = harness.fake.user(user_id=5603, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, "我家楼下的路灯坏了，我叫李小红，电话13800000000。")
    await resident.send_text("还没写完的内容")
    await harness.bot_says(resident.id, "已记下（共1条")
    await resident.send_text("/forget")
    question = await harness.bot_says(resident.id, "确定删除吗？")
    await harness.press(resident, question, "保留")
    await harness.bot_says(resident.id, "未删除任何信息。")
    await resident.send_text("/forget")
    question = await harness.bot_says(resident.id, "确定删除吗？", after=question["message_id"])
    await harness.press(resident, question, "删除我的信息")
    done = await harness.bot_says(resident.id, "您的个人信息已删除。")
    assert "您反映的1条意见建议已去除个人信息，保留用于统计。" in done["text"]
    assert "已经知道您姓名的人大代表和工作人员不会被要求忘记。" in done["text"]
    async with harness.app.sessionmaker() as session:
        stored = await session.scalar(select(Resident))
        assert stored is not None and stored.display_name == "" and stored.area_id is None
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Contact)
                .where(Contact.recipient_id == stored.id, Contact.recipient_kind == "resident")
            )
            == 0
        )
        assert await session.scalar(select(Draft)) is None
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.text == "（已应反映人要求删除）"
        assert ticket.area_id is not None and ticket.deputy_group_id is not None
    # Writing again: a new resident, asked for an area again.
    await resident.send_text("/start")
    await harness.bot_says(resident.id, "请选择您所在的区（县）", after=done["message_id"])
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 2
