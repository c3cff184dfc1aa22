"""A micro reception on request (微接待), through the fake Bot API: a resident asks (a topic,
the days, the time of day); the request is an opinion or suggestion with its card and its
deadlines; a deputy proposes times (not in the past, only a deputy of the group), the resident
declines them, then picks one of new ones: a micro reception is scheduled with them signed
up, and both are told."""

from sqlalchemy import select

from storage.models import Reception, ReceptionKind, Ticket
from tests.support.harness import Harness
from tests.support.stories import (
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    WANG_JIANGUO,
    ZHOU_MING,
    card_in_group,
)
from tests.test_receptions_story import buttons, resident_in_haide

NUMBER = "A-2026-000001"


async def test_a_micro_reception_is_asked_for_proposed_declined_and_arranged(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    zhou = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]
    group.members[ZHOU_MING] = zhou
    resident = await resident_in_haide(harness, 5501)

    await resident.send_text("/receptions")
    listing = await harness.bot_says(resident.id, "目前没有已安排的接待活动。")
    await harness.press(resident, listing, "申请微接待")
    await harness.bot_says(resident.id, "请用一句话说明想与代表面谈的主题：")
    await resident.send_text("想和代表聊聊小区加装电梯的事")
    days = await harness.bot_says(resident.id, "您希望在哪些日子？")
    await harness.press(resident, days, "周末")
    times = await harness.bot_says(resident.id, "一天中什么时段？")
    await harness.press(resident, times, "上午")
    await harness.bot_says(resident.id, f"您的微接待申请已提交（{NUMBER}）")

    card = await card_in_group(harness, group.id, NUMBER)
    assert "【微接待申请】想和代表聊聊小区加装电梯的事\n希望时间：周末，上午" in card["text"]
    async with harness.app.sessionmaker() as session:
        ticket = (await session.scalars(select(Ticket).where(Ticket.number == NUMBER))).one()
    assert ticket.acknowledge_due is not None  # the deadlines of any ticket

    await wang.send_text(f"/slots {NUMBER} 2026-11-20 10:00-11:00", chat=group)
    await harness.bot_says(group.id, "提议的时间已过，请提议今后的时间。")
    await wang.send_text(f"/slots {NUMBER} 下周六上午", chat=group)
    await harness.bot_says(group.id, "请提供申请编号和一个或多个时间")
    await zhou.send_text(f"/slots {NUMBER} 2026-11-28 10:00-11:00", chat=group)
    await harness.bot_says(group.id, "只有本代表小组登记的人大代表可以提议时间。")
    await wang.send_text(
        f"/slots {NUMBER} 2026-11-28 10:00-11:00; 2026-11-29 10:00-11:00", chat=group
    )
    await harness.bot_says(group.id, f"已向反映人提议2个时间（{NUMBER}）。")
    proposal = await harness.bot_says(resident.id, f"王建国代表就您的微接待申请（{NUMBER}）")
    assert buttons(proposal) == [
        "11月28日（周六）10:00—11:00",
        "11月29日（周日）10:00—11:00",
        "都不合适",
    ]
    await harness.press(resident, proposal, "都不合适")
    await harness.bot_says(resident.id, "已告知代表小组，代表将重新提议时间。")
    await harness.bot_says(group.id, f"反映人认为提议的时间都不合适（{NUMBER}）")

    await wang.send_text(f"/slots {NUMBER} 2026-11-28 15:00-16:00", chat=group)
    seen = proposal["message_id"]
    proposal = await harness.bot_says(resident.id, "请选择一个", after=seen)
    await harness.press(resident, proposal, "11月28日（周六）15:00—16:00")
    arranged = await harness.bot_says(resident.id, "微接待已确定：11月28日（周六）15:00—16:00")
    assert "签到码：" in arranged["text"]
    await harness.bot_says(
        group.id, f"反映人已选定微接待时间（{NUMBER}）：11月28日（周六）15:00—16:00"
    )
    async with harness.app.sessionmaker() as session:
        reception = (await session.scalars(select(Reception))).one()
    assert (
        reception.kind == ReceptionKind.MICRO and reception.theme == "想和代表聊聊小区加装电梯的事"
    )

    await wang.send_text(f"/slots {NUMBER} 2026-11-29 15:00-16:00", chat=group)
    await harness.bot_says(group.id, "该微接待申请已确定时间。")
