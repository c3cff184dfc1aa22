"""After a reception, through the fake Bot API: a deputy on duty records what a resident
raised, which becomes an opinion or suggestion of the normal loop (its card, its steps, the
resident told); the deputies' attendance; closing the record asks the resident who came to
rate the reception, once."""

from sqlalchemy import select

from storage.models import ReceptionDuty, ReceptionTicket, Ticket
from tests.support.harness import Harness
from tests.support.receptions import local, schedule
from tests.support.stories import (
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    WANG_JIANGUO,
    ZHOU_MING,
    answer_to,
)
from tests.test_receptions_story import buttons, open_details, resident_in_haide, set_time

TITLE = "夜间接待（海德街道代表联络站）"


async def test_outcomes_become_tickets_attendance_and_a_rating(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    zhou = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]  # a deputy, not on duty here
    group.members[ZHOU_MING] = zhou
    reception_id = await schedule(
        harness, local(2026, 11, 23, 19, 30), deputies=("d-wang-jianguo", "d-chen-li")
    )
    resident = await resident_in_haide(harness, 5401)
    details = await open_details(harness, resident)
    await harness.press(resident, details, "报名（向代表显示姓名）")
    said = await harness.bot_says(resident.id, "报名成功。签到码：")
    code = said["text"].split("签到码：")[1].split()[0]

    # Before it begins there is nothing to record.
    await wang.send_text(f"/raised {code} 路灯不亮", chat=group)
    await harness.bot_says(group.id, "本代表小组没有待记录的接待活动。")

    set_time(harness, local(2026, 11, 23, 19, 40))
    await wang.send_text(f"/checkin {code}", chat=group)
    await harness.bot_says(group.id, f"已签到：{code}")
    await zhou.send_text(f"/raised {code} 路灯不亮", chat=group)
    await harness.bot_says(group.id, "只有本场接待的值班代表可以办理。")
    await wang.send_text("/raised", chat=group)
    await harness.bot_says(group.id, "请提供群众的签到码和反映的事项")
    await wang.send_text("/raised ZZZZ 路灯不亮", chat=group)
    await harness.bot_says(group.id, "没有与该签到码对应的报名，请核对。")
    await wang.send_text(f"/raised {code} 和祥社区3号楼门口路灯不亮", chat=group)
    recorded = await harness.bot_says(group.id, "已登记为意见建议（A-2026-000001）")
    assert code in recorded["text"]
    told = await harness.bot_says(resident.id, "反映的事项已登记为意见建议（A-2026-000001）")
    assert TITLE in told["text"]

    # The ticket runs the normal loop: its card in the group, accepted, the resident told.
    card = await harness.bot_says(group.id, "状态：已分派")  # not the reply that names it
    await harness.outbox_settled()
    assert "和祥社区3号楼门口路灯不亮" in card["text"]
    await harness.press(wang, card, "接单")
    await harness.bot_says(resident.id, "办理状态：已受理。")

    # Attendance: a deputy on duty records who came; another deputy cannot.
    await wang.send_text("/attendance", chat=group)
    record = await harness.bot_says(group.id, f"接待记录：{TITLE}")
    assert "王建国：未记录" in record["text"] and "A-2026-000001" in record["text"]
    refused = await harness.press(zhou, record, "王建国到场")
    assert (await answer_to(harness, refused)).text == "只有本场接待的值班代表可以办理。"
    await harness.press(wang, record, "王建国到场")
    record = await harness.bot_says(group.id, "王建国：到场")
    await harness.press(wang, record, "陈丽未到")
    record = await harness.bot_says(group.id, "陈丽：未到")
    await harness.press(wang, record, "记录完毕")
    closed = await harness.bot_says(group.id, "记录已完成")
    assert buttons(closed) == []

    question = await harness.bot_says(resident.id, "感谢您参加")
    assert buttons(question) == ["满意", "基本满意", "不满意"]
    await harness.press(resident, question, "满意")
    await harness.bot_says(resident.id, "感谢您的评价：满意。")

    async with harness.app.sessionmaker() as session:
        duties = {
            d.deputy.name: d.attended
            for d in await session.scalars(
                select(ReceptionDuty).where(ReceptionDuty.reception_id == reception_id)
            )
        }
        link = (await session.scalars(select(ReceptionTicket))).one()
        ticket = await session.get_one(Ticket, link.ticket_id)
    assert duties == {"王建国": True, "陈丽": False}
    assert (link.reception_id, ticket.number) == (reception_id, "A-2026-000001")
    # The record is closed: nothing more is recorded.
    await wang.send_text(f"/raised {code} 又一件事", chat=group)
    await harness.bot_says(group.id, "本代表小组没有待记录的接待活动。", after=closed["message_id"])
