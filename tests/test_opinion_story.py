"""One opinion travels from a resident to a deputy group and back, over HTTP against the fake
Bot API with the real aiogram client, on SQLite + memory and on PostgreSQL + Redis."""

from sqlalchemy import func, select

from storage.models import (
    InboundStatus,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tests.support.harness import STAFF_BASE, Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    OPINION,
    WANG_JIANGUO,
    ZHOU_MING,
    card_in_group,
    pick_hexiang,
    press_submit,
    register_in_haide,
    submit,
)


async def test_a_resident_submits_a_deputy_replies_and_the_resident_hears_back(harness: Harness):
    fake = harness.fake
    group = harness.groups[HAIDE_GROUP_1]
    resident = fake.user(user_id=5001, first_name="小红", last_name="李", language_code="zh-hans")
    await register_in_haide(harness, resident)

    confirmation = await submit(harness, resident, OPINION)
    assert "您的姓名未向人大代表公开。" in confirmation["text"]
    assert "您的意见建议编号为 A-2026-000001。" in confirmation["text"]
    assert "答复期限为2026年12月14日。" in confirmation["text"]  # 15 working days
    assert (
        "已转交海德街道代表联络站海德街道第一代表小组办理，办理进展将在此反馈。"
        in confirmation["text"]
    )

    card = await card_in_group(harness, group.id, "A-2026-000001")
    assert "状态：已分派" in card["text"]
    assert OPINION in card["text"]
    assert "区域：江滨区 海德街道 和祥社区" in card["text"]
    # The resident has not agreed to show their name: the card says where they live.
    assert "反映人：和祥社区居民\n" in card["text"] and "李小红" not in card["text"]
    assert "反映时间：2026-11-23 18:30" in card["text"]

    wang = group.members[WANG_JIANGUO]
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "已转达反映人（A-2026-000001）")
    reply = await harness.bot_says(
        resident.id, "王建国代表对您的意见建议（A-2026-000001）答复如下："
    )
    assert ANSWER in reply["text"]
    status = await harness.bot_says(resident.id, "您的意见建议（A-2026-000001）办理状态：已答复。")
    assert status["message_id"] > reply["message_id"]
    # The card in the group now shows who answered.
    updated = await harness.bot_says(group.id, "状态：已答复（王建国代表）")
    assert updated["message_id"] == card["message_id"]

    await harness.outbox_settled()
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.status == TicketStatus.ANSWERED
        assert ticket.text == OPINION
        events = await session.scalars(
            select(TicketEvent.action)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
        assert list(events) == [
            "submitted",
            "routed",
            "status_changed",
            "replied",
            "status_changed",
        ]
        outbox = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        assert [(m.purpose, m.status) for m in outbox] == [
            ("card", OutboxStatus.SENT),
            ("reply", OutboxStatus.SENT),
            ("status", OutboxStatus.SENT),
            ("card_update", OutboxStatus.SENT),
        ]


async def test_an_english_speaker_is_answered_in_english(harness: Harness):
    resident = harness.fake.user(user_id=5002, first_name="Anna", language_code="en")
    await resident.send_text("/start")
    greeting = await harness.bot_says(resident.id, "Hello, Anna!")
    assert "answer within 15 working days" in greeting["text"]
    picker = await harness.bot_says(resident.id, "Which district do you live in?")
    await harness.press(resident, picker, "Jiangbin District")
    picker = await harness.bot_says(
        resident.id, "Jiangbin District\nPlease choose your street (township):"
    )
    await harness.press(resident, picker, "Wangxian Street")
    picker = await harness.bot_says(
        resident.id, "Wangxian Street, Jiangbin District\nPlease choose your community"
    )
    await harness.press(resident, picker, "None of these: Wangxian Street")
    await harness.bot_says(resident.id, "Your area: Wangxian Street, Jiangbin District.")
    await resident.send_text("The bus stop on Liuhu Road has no shelter.")
    prompt = await harness.bot_says(resident.id, "Noted (1 message, ")
    await press_submit(
        harness,
        resident,
        prompt,
        "Other / not sure",
        "Submit",
        "Please choose a topic",
        "No, submit without my name",
        "May the deputies see your name?",
    )
    confirmation = await harness.bot_says(resident.id, "Received.")
    assert (
        "Passed on to Wangxian Street Deputy Group of Wangxian Street Deputies' Home."
        in (confirmation["text"])
    )
    # The group's card is in the default language, Chinese.
    await harness.bot_says(-1001000000201, "意见建议（A-2026-000001）")


async def test_an_opinion_in_several_messages_becomes_one_ticket(harness: Harness):
    resident = harness.fake.user(user_id=5003, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, "第一段：路灯坏了。", "第二段：井盖也松了。")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert "第一段：路灯坏了。\n\n第二段：井盖也松了。" in card["text"]


async def test_only_a_registered_deputy_of_the_group_can_answer(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    zhou = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]
    group.members[ZHOU_MING] = zhou  # he joined the chat, but is not of this group
    staff = group.members[STAFF_BASE + 1]
    resident = harness.fake.user(user_id=5004, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    card = await card_in_group(harness, group.id, "A-2026-000001")
    for member in (zhou, staff):
        await member.send_text("我来回复", chat=group, reply_to=card["message_id"])

    def refusals() -> list[dict]:
        return [m for m in harness.fake.bot_messages(group.id) if "这条回复未转达" in m["text"]]

    await harness.fake.wait_for(lambda: len(refusals()) == 2)
    assert {r["reply_to_message"]["from"]["id"] for r in refusals()} == {ZHOU_MING, staff.id}
    assert not any("代表对您的意见建议" in m["text"] for m in harness.fake.bot_messages(5004))


async def test_text_before_choosing_an_area_is_kept_as_the_start_of_the_opinion(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5007, first_name="小红", language_code="zh-hans")
    await resident.send_text(OPINION)
    picker = await harness.bot_says(resident.id, "您写的内容已保留。请先选择您所在的区域")
    await pick_hexiang(harness, resident, picker)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert OPINION in card["text"]


async def test_text_before_choosing_an_area_and_a_sticker_get_polite_answers(harness: Harness):
    resident = harness.fake.user(user_id=5005, first_name="小红", language_code="zh-hans")
    await resident.send_text("你好，我想反映个问题")
    await harness.bot_says(resident.id, "请先选择您所在的区域")
    await resident.send_sticker()
    await harness.bot_says(resident.id, "贴纸、投票、骰子和游戏无法保存")
    await resident.send_text("/whatever")
    await harness.bot_says(resident.id, "无法识别该指令，发送 /help 查看帮助。")


async def test_when_passing_on_fails_the_deputy_is_told_and_nothing_is_half_done(
    harness: Harness, monkeypatch
):
    group = harness.groups[HAIDE_GROUP_1]
    resident = harness.fake.user(user_id=5006, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    card = await card_in_group(harness, group.id, "A-2026-000001")

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(harness.app.desk, "reply_from_deputy", broken)
    await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=card["message_id"])
    apology = await harness.bot_says(group.id, "抱歉，系统暂时出现问题，请稍后再试。")
    assert apology["reply_to_message"]["text"] == ANSWER
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.status == TicketStatus.ASSIGNED
        done = select(func.count()).where(InboundUpdate.status == InboundStatus.DONE)
        assert await session.scalar(done) == len(harness.fake.updates()) - 1  # all but the failed
