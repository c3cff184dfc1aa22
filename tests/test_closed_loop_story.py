"""The closed loop over HTTP, as a resident and the deputies live it: the card's buttons take
the ticket through 已受理 → 已答复 → 已办结, the resident is told of each step and rates the
answer; an unsatisfied rating reopens it."""

from typing import Any

from sqlalchemy import select

from storage.models import TicketEvent, TimelineAction
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    OPINION,
    WANG_JIANGUO,
    ZHOU_MING,
    register_in_haide,
    submit,
)


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def test_accept_answer_conclude_and_rate_from_the_buttons(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident = harness.fake.user(user_id=5201, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    card = await harness.bot_says(group.id, "状态：已分派")
    assert buttons(card) == ["接单", "需补充", "已办结", "无法办理", "转工作人员", "非本组"]

    # A deputy of another group cannot act on the card.
    zhou = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]
    group.members[ZHOU_MING] = zhou
    refused = await harness.press(zhou, card, "接单")
    await harness.fake.wait_for(lambda: refused in harness.fake.callback_answers)
    assert "只有承办本意见建议的代表小组" in harness.fake.callback_answers[refused].text

    await harness.press(wang, card, "接单")
    await harness.bot_says(resident.id, "办理状态：已受理。")
    card = await harness.bot_says(group.id, "状态：已受理（王建国代表）")
    assert buttons(card) == [
        "办理中",
        "转交部门",
        "需补充",
        "已办结",
        "无法办理",
        "转工作人员",
        "非本组",
    ]

    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(resident.id, "办理状态：已答复。")
    card = await harness.bot_says(group.id, "状态：已答复（王建国代表）")
    assert buttons(card) == ["需补充", "已办结", "无法办理", "转工作人员", "非本组"]

    await harness.press(wang, card, "已办结")
    await harness.bot_says(resident.id, "办理状态：已办结。")
    question = await harness.bot_says(resident.id, "请您对办理情况进行满意度测评")
    assert buttons(question) == ["满意", "基本满意", "不满意"]
    card = await harness.bot_says(group.id, "状态：已办结（王建国代表）")
    assert buttons(card) == []

    await harness.press(resident, question, "不满意")
    await harness.bot_says(resident.id, "感谢您的评价：不满意。\n您的意见建议将重新办理。")
    await harness.bot_says(resident.id, "办理状态：重新办理。")
    card = await harness.bot_says(group.id, "状态：重新办理")
    assert buttons(card) == ["接单", "需补充", "已办结", "无法办理", "转工作人员", "非本组"]

    # The question keeps the answer given; its rating buttons are gone (a rating is given
    # once), and an optional comment is offered instead.
    rated = await harness.bot_says(resident.id, "感谢您的评价：不满意。")
    assert rated["message_id"] == question["message_id"] and buttons(rated) == ["补充评价意见"]
    await harness.press(resident, rated, "补充评价意见")
    await harness.bot_says(resident.id, "请用一条消息写下您的评价意见。")
    await resident.send_text("路灯修了又坏，希望彻底解决。")
    await harness.bot_says(resident.id, "谢谢，您的评价意见已随评价一并转达。")
    comment = await harness.bot_says(group.id, "反映人对意见建议（A-2026-000001）的评价意见如下：")
    assert comment["text"].endswith("路灯修了又坏，希望彻底解决。")
    async with harness.app.sessionmaker() as session:
        events = await session.scalars(select(TicketEvent).order_by(TicketEvent.id))
        comments = [e.detail for e in events if e.action == TimelineAction.ADDED]
        assert comments == [{"text": "路灯修了又坏，希望彻底解决。", "rating_comment": True}]


async def test_not_ours_moves_the_ticket_to_the_next_group_and_everyone_is_told(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    resident = harness.fake.user(user_id=5202, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    card = await harness.bot_says(group.id, "状态：已分派")
    await harness.press(group.members[WANG_JIANGUO], card, "非本组")
    await harness.bot_says(group.id, "意见建议（A-2026-000001）已转交其他代表小组办理。")
    new_card = await harness.bot_says(HAIDE_GROUP_2, "意见建议（A-2026-000001）")
    assert OPINION in new_card["text"]
    await harness.bot_says(resident.id, "已转交海德街道代表联络站海德街道第二代表小组办理")

    # The group that passed it on keeps a card that says so, without buttons.
    def old_card() -> dict[str, Any]:
        return next(
            m for m in harness.fake.bot_messages(group.id) if m["message_id"] == card["message_id"]
        )

    await harness.fake.wait_for(lambda: "已转交其他代表小组办理。" in old_card()["text"])
    assert buttons(old_card()) == []
