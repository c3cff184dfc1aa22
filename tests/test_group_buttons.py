"""Every button of a ticket's card, pressed by deputies in their group chat through the fake
Bot API: the claim race has one winner, forwarding asks for a department and a date, the
buttons that need words ask in the ticket's thread and the deputy's reply completes them, the
resident's answer to 需补充 comes back under the card; every step names the deputy on the
timeline and the card shows it in place."""

import asyncio
from typing import Any

from sqlalchemy import select

from storage.models import DeputyPrompt, Ticket, TicketEvent, TicketStatus
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    OPINION,
    WANG_JIANGUO,
    ZHOU_MING,
    answer_to,
    card_in_group,
    register_in_haide,
    submit,
)

CHEN_LI = 7000000102  # the other deputy of 海德街道第一代表小组
HAIDE_STAFF_CHAT = -1001000000901  # 海德街道人大工委, `staff_chat_id` in the demo directory
NUMBER = "A-2026-000001"


def buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def a_ticket(harness: Harness, user_id: int = 5301) -> tuple[Any, dict[str, Any]]:
    """A resident of 和祥社区 submits; returns them and the card in 第一代表小组."""
    resident = harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    return resident, await card_in_group(harness, HAIDE_GROUP_1, NUMBER)


async def ticket_row(harness: Harness) -> Ticket:
    async with harness.app.sessionmaker() as session:
        return await session.get_one(Ticket, 1)


async def timeline(harness: Harness) -> list[TicketEvent]:
    async with harness.app.sessionmaker() as session:
        return list(await session.scalars(select(TicketEvent).order_by(TicketEvent.id)))


async def test_two_deputies_claim_at_once_and_exactly_one_wins(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    _, card = await a_ticket(harness)
    assert "反映人：和祥社区居民" in card["text"]
    assert "受理期限：2026-11-25" in card["text"] and "答复期限：2026-12-14" in card["text"]
    wang, chen = group.members[WANG_JIANGUO], group.members[CHEN_LI]
    presses = await asyncio.gather(
        harness.press(wang, card, "接单"), harness.press(chen, card, "接单")
    )
    answers = [await answer_to(harness, query) for query in presses]
    await harness.outbox_settled()
    ticket = await ticket_row(harness)
    assert ticket.status == TicketStatus.ACCEPTED
    winner = {WANG_JIANGUO: "王建国", CHEN_LI: "陈丽"}[
        WANG_JIANGUO if ticket.holder_deputy_id == 1 else CHEN_LI
    ]
    refusals = [a.text for a in answers if a.show_alert]
    assert refusals == [f"{winner}代表已接单（{NUMBER}）。"]
    card = await harness.bot_says(group.id, f"状态：已受理（{winner}代表）")
    accepted = [e for e in await timeline(harness) if e.detail.get("to") == "accepted"]
    assert len(accepted) == 1 and accepted[0].detail["by"] == winner


async def test_someone_not_registered_with_the_group_changes_nothing(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    _, card = await a_ticket(harness)
    # 周明 is a deputy of the second group who happens to be in this chat too.
    outsider = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]
    group.members[ZHOU_MING] = outsider
    for label in ("接单", "无法办理", "转工作人员", "非本组"):
        told = await answer_to(harness, await harness.press(outsider, card, label))
        assert told.show_alert and "只有承办本意见建议的代表小组登记的人大代表" in told.text
    assert (await ticket_row(harness)).status == TicketStatus.ASSIGNED


async def test_in_progress_then_forwarded_to_a_department_with_an_expected_date(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await harness.press(wang, card, "接单")
    card = await harness.bot_says(group.id, "状态：已受理（王建国代表）")
    await harness.press(wang, card, "办理中")
    await harness.bot_says(resident.id, "办理状态：办理中。")
    card = await harness.bot_says(group.id, "状态：办理中（王建国代表）")
    await harness.press(wang, card, "转交部门")
    choice = await harness.bot_says(group.id, f"请选择意见建议（{NUMBER}）转交的部门")
    assert choice["reply_to_message"]["message_id"] == card["message_id"]
    assert "区城市管理局" in buttons(choice)
    await harness.press(wang, choice, "区城市管理局")
    when = await harness.bot_says(group.id, "部门预计何时办结")
    assert buttons(when) == ["7天内", "15天内", "30天内", "60天内", "暂不确定"]
    await harness.press(wang, when, "15天内")
    await harness.bot_says(group.id, f"王建国代表已将意见建议（{NUMBER}）转交区城市管理局。")
    told = await harness.bot_says(resident.id, "办理状态：已转交部门。")
    assert "区城市管理局" in told["text"]
    updated = await harness.bot_says(group.id, "转交部门：区城市管理局（预计2026-12-08前办结）")
    assert updated["message_id"] == card["message_id"]  # the card, edited in place
    forwarded = [e for e in await timeline(harness) if e.detail.get("to") == "forwarded"]
    assert forwarded[0].detail["by"] == "王建国"
    assert forwarded[0].detail["department"] == "区城市管理局"


async def test_need_more_information_asks_the_resident_and_the_answer_comes_back(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await harness.press(wang, card, "需补充")
    prompt = await harness.bot_says(group.id, "请回复本条消息，写下需要反映人补充的内容")
    assert prompt["reply_to_message"]["message_id"] == card["message_id"]
    await harness.outbox_settled()
    # Someone else's reply does not answer the question meant for 王建国.
    chen = group.members[CHEN_LI]
    await chen.send_text("是哪个单元？", chat=group, reply_to=prompt["message_id"])
    await harness.bot_says(group.id, "此提问请王建国代表回复。")
    await wang.send_text("请问是几号楼几单元？", chat=group, reply_to=prompt["message_id"])
    await harness.bot_says(group.id, f"已请反映人补充（{NUMBER}）。")
    question = await harness.bot_says(resident.id, "王建国代表希望您补充意见建议")
    assert "请问是几号楼几单元？" in question["text"]
    await harness.outbox_settled()
    await resident.send_text("3号楼2单元门口。", reply_to=question["message_id"])
    await harness.bot_says(resident.id, f"感谢您的补充，已转达人大代表（{NUMBER}）。")
    added = await harness.bot_says(group.id, f"反映人对意见建议（{NUMBER}）补充如下")
    assert "3号楼2单元门口。" in added["text"]
    assert added["reply_to_message"]["message_id"] == card["message_id"]
    actions = [e.action.value for e in await timeline(harness)]
    assert "asked_resident" in actions and "supplemented" in actions
    assert (await ticket_row(harness)).status == TicketStatus.ASSIGNED


async def test_resolved_without_an_answer_asks_for_it_first(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await harness.press(wang, card, "已办结")
    prompt = await harness.bot_says(group.id, "尚未答复。请回复本条消息")
    await harness.outbox_settled()
    assert (await ticket_row(harness)).status == TicketStatus.ASSIGNED
    await wang.send_text(ANSWER, chat=group, reply_to=prompt["message_id"])
    await harness.bot_says(resident.id, f"王建国代表对您的意见建议（{NUMBER}）答复如下")
    await harness.bot_says(resident.id, "请您对办理情况进行满意度测评")
    card = await harness.bot_says(group.id, "状态：已办结（王建国代表）")
    assert buttons(card) == []
    async with harness.app.sessionmaker() as session:
        prompts = list(await session.scalars(select(DeputyPrompt)))
    assert len(prompts) == 1 and prompts[0].done_at is not None


async def test_resolved_once_answered_concludes_at_once(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    card = await harness.bot_says(group.id, "状态：已答复（王建国代表）")
    await harness.press(wang, card, "已办结")
    await harness.bot_says(resident.id, "请您对办理情况进行满意度测评")
    await harness.bot_says(group.id, "状态：已办结（王建国代表）")


async def test_cannot_be_resolved_takes_the_reason_the_resident_reads(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await harness.press(wang, card, "无法办理")
    prompt = await harness.bot_says(group.id, "暂时无法办理的原因")
    await harness.outbox_settled()
    reason = "该路段明年整体改造，届时一并更换路灯。"
    await wang.send_text(reason, chat=group, reply_to=prompt["message_id"])
    told = await harness.bot_says(resident.id, "暂不具备解决条件")
    assert reason in told["text"]
    await harness.bot_says(group.id, "状态：已办结（暂不具备解决条件）")


async def test_to_staff_hands_it_to_the_street_working_committee(harness: Harness):
    staff = harness.fake.user(user_id=9100000001, first_name="工委", last_name="联络员")
    harness.fake.group(HAIDE_STAFF_CHAT, "海德街道人大工委", [staff])
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    await harness.press(group.members[WANG_JIANGUO], card, "转工作人员")
    told = await harness.bot_says(
        HAIDE_STAFF_CHAT, f"王建国代表将意见建议（{NUMBER}）转交街道人大工委"
    )
    assert OPINION[:20] in told["text"]
    await harness.bot_says(resident.id, "办理状态：已上报。")
    card = await harness.bot_says(group.id, "状态：已上报")
    assert buttons(card) == []
    escalated = [e for e in await timeline(harness) if e.detail.get("to") == "escalated"]
    assert escalated[0].detail["by"] == "王建国"


async def test_a_question_asked_before_a_restart_is_answered_after_it(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness)
    wang = group.members[WANG_JIANGUO]
    await harness.press(wang, card, "无法办理")
    prompt = await harness.bot_says(group.id, "暂时无法办理的原因")
    await harness.outbox_settled()
    await harness.restart()
    await wang.send_text("需区里统一规划。", chat=group, reply_to=prompt["message_id"])
    told = await harness.bot_says(resident.id, "暂不具备解决条件")
    assert "需区里统一规划。" in told["text"]
