"""Following up: /my lists a resident's opinions and suggestions, newest first, a page at a
time, with status and due date; one opens on its timeline in plain words; nobody opens anyone
else's."""

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from storage.models import Resident, Ticket, TicketStatus
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    WANG_JIANGUO,
    answer_to,
    card_in_group,
    register_in_haide,
    submit,
)


async def more_opinions(harness: Harness, user_id: int, count: int) -> None:
    """Opinions submitted earlier, straight through the desk (the flow is tested elsewhere)."""
    async with harness.app.sessionmaker.begin() as session:
        resident = await session.scalar(select(Resident).order_by(Resident.id.desc()))
        assert resident is not None
        for n in range(count):
            await harness.app.desk.submit_opinion(
                session, resident, f"第{n + 2}条：<b>楼道</b>灯不亮 & 漏水", f"key-{user_id}-{n}"
            )


async def test_a_resident_pages_through_their_opinions_and_reads_a_timeline(harness: Harness):
    resident = harness.fake.user(user_id=5501, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, "第1条：路灯坏了。")
    group = harness.groups[HAIDE_GROUP_1]
    card = await card_in_group(harness, group.id, "A-2026-000001")
    await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(resident.id, "答复如下")
    await more_opinions(harness, resident.id, 5)

    await resident.send_text("/my")
    page = await harness.bot_says(resident.id, "您反映的意见建议（共6条，最新的在前）：")
    assert "第1页，共2页" in page["text"]
    assert "A-2026-000006 · 已分派 · 答复期限为2026年12月14日" in page["text"]
    assert "A-2026-000001" not in page["text"]
    # Texts are shown literally, markup and all.
    assert "第6条：<b>楼道</b>灯不亮 & 漏水" in page["text"]
    assert all(e["type"] == "bold" for e in page["entities"])  # only the bot's own bold
    await harness.press(resident, page, "更早")
    page = await harness.bot_says(resident.id, "第2页，共2页")
    assert "A-2026-000001 · 已答复" in page["text"]
    await harness.press(resident, page, "A-2026-000001 · 已答复")
    timeline = await harness.bot_says(resident.id, "2026-11-23 18:30  已收到")
    lines = timeline["text"].split("\n")
    assert lines[:2] == ["A-2026-000001 · 已答复", "第1条：路灯坏了。"]
    assert lines[3:] == [
        "2026-11-23 18:30  已收到",
        "2026-11-23 18:30  已转交海德街道第一代表小组办理",
        "2026-11-23 18:30  人大代表已答复",
    ]
    await harness.press(resident, timeline, "返回上一级")
    await harness.bot_says(resident.id, "第2页，共2页")


async def test_no_opinions_yet_in_english(harness: Harness):
    resident = harness.fake.user(user_id=5502, first_name="Anna", language_code="en")
    await resident.send_text("/my")
    await harness.bot_says(resident.id, "You have not submitted any opinions or suggestions yet.")


async def old_buttons(harness: Harness, chat_id: int, data: str) -> dict[str, Any]:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A-2026-000001", callback_data=data)]]
    )
    sent = await harness.app.bot.send_message(chat_id, "……", reply_markup=markup)
    return next(m for m in harness.fake.bot_messages(chat_id) if m["message_id"] == sent.message_id)


async def test_a_button_of_someone_else_s_ticket_opens_nothing(harness: Harness):
    owner = harness.fake.user(user_id=5503, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, owner)
    await submit(harness, owner, "第1条：路灯坏了。")
    other = harness.fake.user(user_id=5504, first_name="Anna", language_code="en")
    await other.send_text("/my")
    await harness.bot_says(other.id, "You have not submitted")
    message = await old_buttons(harness, other.id, "mine:1:0")  # forged: the owner's ticket
    refused = await answer_to(harness, await other.press(message, "mine:1:0"))
    assert refused.text == "This is not one of your opinions or suggestions." and refused.show_alert
    assert not any("路灯" in m.get("text", "") for m in harness.fake.bot_messages(other.id))


async def test_a_message_while_an_opinion_is_open_is_added_to_it_or_begins_a_new_one(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5505, first_name="小红", language_code="zh-hans")
    group = harness.groups[HAIDE_GROUP_1]
    await register_in_haide(harness, resident)
    await submit(harness, resident, "第1条：路灯坏了。")
    card = await card_in_group(harness, group.id, "A-2026-000001")
    await resident.send_text("补充：井盖也松了。")
    question = await harness.bot_says(resident.id, "还是新的意见建议？")
    await harness.press(resident, question, "补充到A-2026-000001")
    await harness.bot_says(
        resident.id, "已补充到意见建议（A-2026-000001），并已告知办理的代表小组。"
    )
    notice = await harness.bot_says(group.id, "反映人对意见建议（A-2026-000001）补充如下：")
    assert notice["text"].endswith("补充：井盖也松了。")
    assert notice["message_id"] > card["message_id"]
    await harness.outbox_settled()
    # A deputy answering the addition answers the ticket.
    await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=notice["message_id"])
    await harness.bot_says(resident.id, "王建国代表对您的意见建议（A-2026-000001）答复如下：")

    await resident.send_text("另外，小区门口的垃圾桶满了。")
    question = await harness.bot_says(resident.id, "还是新的意见建议？", after=notice["message_id"])
    await harness.press(resident, question, "新的意见建议")
    await harness.bot_says(resident.id, "已记下（共1条")
    async with harness.app.sessionmaker() as session:
        tickets = list(await session.scalars(select(Ticket)))
        assert len(tickets) == 1 and tickets[0].text == "第1条：路灯坏了。"


async def test_an_addition_in_english_and_a_closed_ticket_is_not_offered(harness: Harness):
    resident = harness.fake.user(user_id=5506, first_name="Anna", language_code="en")
    await resident.send_text("/start")
    picker = await harness.bot_says(resident.id, "Which district do you live in?")
    for place, question in (
        ("Jiangbin District", "Please choose your street (township):"),
        ("Haide Street", "Please choose your community (village):"),
        ("Hexiang Community", "Your area: Hexiang Community"),
    ):
        await harness.press(resident, picker, place)
        picker = await harness.bot_says(resident.id, question)
    await more_opinions(harness, resident.id, 1)
    await resident.send_text("One more thing: the drain.")
    question = await harness.bot_says(resident.id, "or is it a new one?")
    buttons = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Add to A-2026-000001", "A new opinion or suggestion"]
    async with harness.app.sessionmaker.begin() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        ticket.status = TicketStatus.CLOSED  # concluded meanwhile
    answer = await answer_to(
        harness, await harness.press(resident, question, "Add to A-2026-000001")
    )
    assert answer.text == "This cannot be added to: it is not yours, or no longer open."
