"""Privacy and control: /privacy says what is kept, who sees it and how long; /forget, once
confirmed, deletes the resident's personal data and keeps their tickets, anonymised."""

from sqlalchemy import func, select

from storage.models import Contact, Draft, Resident, Ticket
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, press_submit, register_in_haide, submit


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
    await harness.bot_says(resident.id, "还是新的意见建议？")  # kept as a draft meanwhile
    await resident.send_text("/forget")
    question = await harness.bot_says(resident.id, "确定删除吗？")
    await harness.press(resident, question, "保留")
    await harness.bot_says(resident.id, "未删除任何信息。")
    await resident.send_text("/forget")
    question = await harness.bot_says(resident.id, "确定删除吗？", after=question["message_id"])
    await harness.press(resident, question, "删除我的信息")
    done = await harness.bot_says(resident.id, "您的个人信息已删除。")
    assert "您反映的1条意见建议已去除个人信息，保留用于统计。" in done["text"]
    assert "已经知道您姓名或看过您所发内容的人大代表和工作人员不会被要求忘记。" in done["text"]
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


async def test_by_default_the_deputies_see_a_resident_of_the_community_not_the_name(
    harness: Harness,
):
    resident = harness.fake.user(
        user_id=5604, first_name="小红", last_name="李", language_code="zh"
    )
    await register_in_haide(harness, resident)
    confirmation = await submit(harness, resident, "路灯坏了。")
    assert "您的姓名未向人大代表公开。" in confirmation["text"]
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert "反映人：和祥社区居民\n" in card["text"] and "李小红" not in card["text"]
    await resident.send_text("井盖松了。")
    question = await harness.bot_says(resident.id, "还是新的意见建议？")
    await harness.press(resident, question, "新的意见建议")
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await press_submit(harness, resident, prompt, named="公开我的姓名")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000002）")
    assert "反映人：李小红\n" in card["text"]


async def test_the_name_question_in_english(harness: Harness):
    resident = harness.fake.user(user_id=5605, first_name="Anna", language_code="en")
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
    prompt = await harness.bot_says(resident.id, "Noted (1 message")
    await harness.press(resident, prompt, "Submit")
    topic = await harness.bot_says(resident.id, "Please choose a topic")
    await harness.press(resident, topic, "Other / not sure")
    question = await harness.bot_says(resident.id, "May the deputies see your name?")
    assert "they see “a resident of Hexiang Community”" in question["text"]
    await harness.press(resident, question, "Yes, show my name")
    confirmation = await harness.bot_says(resident.id, "Received.")
    assert "The deputies see your name." in confirmation["text"]
