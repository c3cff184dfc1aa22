"""Receptions as they go on the day, through the fake Bot API with the test's clock: someone who
came without signing up raises an issue, which becomes an opinion or suggestion they claim
later with the code the deputies gave them; a reception set less than a day ahead sends its
sign-up list two hours before, and none while nobody signed up; a place given on the day is
reminded of as it is; staff lower a reception's capacity, and the last to get a place wait
again, first in line, told with an apology."""

from sqlalchemy import select

from storage.models import ReceptionTicket, Resident, Ticket, TimelineAction
from tests.support.desk import history
from tests.support.harness import Harness
from tests.support.receptions import change, local, schedule
from tests.support.stories import ANSWER, HAIDE_GROUP_1, WANG_JIANGUO, answer_to
from tests.test_receptions_story import (
    buttons,
    open_details,
    resident_in_haide,
    set_time,
    sweeper,
)

TITLE = "夜间接待（海德街道代表联络站）"


async def sweep(harness: Harness) -> int:
    report = await sweeper(harness).sweep_without_lock(harness.app.clock.now())
    harness.app.sender.wake()
    return report.reception_reminders


async def test_a_walk_in_raises_an_issue_the_deputies_record_and_they_claim_it_later(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    await schedule(harness, local(2026, 11, 23, 19, 30))
    set_time(harness, local(2026, 11, 23, 19, 45))

    await wang.send_text("/walkin", chat=group)
    await harness.bot_says(group.id, "请写明现场未报名群众反映的事项，例如 /walkin")
    await wang.send_text("/walkin 和祥社区菜市场门口下雨就积水", chat=group)
    recorded = await harness.bot_says(group.id, "已登记为意见建议（A-2026-000001）。")
    code = recorded["text"].split("认领码")[1].split("交给")[0]
    assert len(code) == 6 and f"/follow {code}" in recorded["text"]

    # The ticket runs the normal loop: its card in the group, routed by the station's area.
    card = await harness.bot_says(group.id, "状态：已分派")
    assert "和祥社区菜市场门口下雨就积水" in card["text"]
    await harness.press(wang, card, "接单")
    # Nobody to tell yet: the group hears, once, that it is theirs to pass on in person.
    unreached = await harness.bot_says(group.id, "未能送达反映人（A-2026-000001）")
    assert "接待现场未报名的群众反映" in unreached["text"]

    # Later the person writes to the bot with the code: the ticket is theirs.
    person = await resident_in_haide(harness, 5501)
    await person.send_text("/follow ZZZZZZ")
    await harness.bot_says(person.id, "该认领码无效或已被使用。")
    await person.send_text(f"/follow {code.lower()}")
    claimed = await harness.bot_says(person.id, "现已关联到您")
    assert "意见建议（A-2026-000001）" in claimed["text"] and "当前状态：已受理" in claimed["text"]
    assert f"11月23日（周一）19:30—21:30的{TITLE}" in claimed["text"]
    someone = await resident_in_haide(harness, 5502)
    await someone.send_text(f"/follow {code}")
    await harness.bot_says(someone.id, "该认领码无效或已被使用。")

    # The deputy's answer now reaches them, as for any opinion they raised.
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    answered = await harness.bot_says(person.id, "代表对您的意见建议（A-2026-000001）答复如下")
    assert ANSWER in answered["text"]
    await person.send_text("/my")
    await harness.bot_says(person.id, "A-2026-000001")
    async with harness.app.sessionmaker() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        link = (await session.scalars(select(ReceptionTicket))).one()
        owner = await session.get_one(Resident, ticket.resident_id)
        steps = await history(session, ticket)
    assert (link.claim_code, link.signup_id, link.claimed_at is not None) == (code, None, True)
    assert owner.id == (await _resident_id(harness, person.id))
    assert steps[0] == TimelineAction.SUBMITTED and TimelineAction.CLAIMED in steps
    unreached_again = [
        m for m in harness.fake.bot_messages(group.id) if "未能送达反映人" in m.get("text", "")
    ]
    assert len(unreached_again) == 1


async def _resident_id(harness: Harness, user_id: int) -> int:
    from bot.core.residents import resident_at

    async with harness.app.sessionmaker() as session:
        resident = await resident_at(session, "telegram", str(user_id))
    assert resident is not None
    return resident.id


async def test_a_reception_set_the_same_day_lists_its_sign_ups_two_hours_before(
    harness: Harness,
):
    """Set on Monday evening for Tuesday 14:00 (less than a day ahead): no list at once, none
    while nobody has signed up; two hours before, the list with who signed up since. A second
    one that nobody signed up for sends no empty list at all."""
    set_time(harness, local(2026, 11, 23, 19, 0))
    await schedule(harness, local(2026, 11, 24, 14, 0))
    await schedule(harness, local(2026, 11, 24, 16, 0), deputies=("d-chen-li",))
    assert await sweep(harness) == 0
    resident = await resident_in_haide(harness, 5511)
    details = await open_details(harness, resident)
    await harness.press(resident, details, "报名（向代表显示姓名）")
    await harness.bot_says(resident.id, "报名成功。")
    set_time(harness, local(2026, 11, 24, 9, 0))
    assert await sweep(harness) == 0  # the next day, before its list is due

    set_time(harness, local(2026, 11, 24, 12, 0))
    assert await sweep(harness) == 2  # the list, and the resident's two-hour reminder
    listed = await harness.bot_says(HAIDE_GROUP_1, f"报名名单：{TITLE}")
    assert "11月24日（周二）14:00—16:00" in listed["text"] and "已报名1人" in listed["text"]
    await harness.bot_says(resident.id, "提醒：您报名的接待活动将于两小时后开始。")
    # The clock jumps 2.5 hours: a delivery still in flight would find its lease long run out
    # and be sent again by the next look (the case of a send outliving its lease). In life
    # time does not jump; here the sender records what it sent first.
    await harness.outbox_settled()
    set_time(harness, local(2026, 11, 24, 14, 30))
    assert await sweep(harness) == 0  # the second one, two hours before: nobody, nothing
    await harness.outbox_settled()
    lists = [m for m in harness.fake.bot_messages(HAIDE_GROUP_1) if "报名名单" in m["text"]]
    assert len(lists) == 1 and not any("暂无报名" in m["text"] for m in lists)


async def test_a_place_given_on_the_day_is_reminded_of_as_it_is(harness: Harness):
    """Thursday 19:00, one place. The first resident's day-before reminder goes out late (the
    sweep was down overnight): it says today at 19:00, not tomorrow. The second, on the
    waitlist since Monday, gets the place on the day: no day-before reminder (it would say
    tomorrow), the two-hour one."""
    await schedule(harness, local(2026, 11, 26, 19, 0), capacity=1)
    first = await resident_in_haide(harness, 5521)
    second = await resident_in_haide(harness, 5522)
    details = await open_details(harness, first)
    await harness.press(first, details, "报名（向代表显示姓名）")
    await harness.bot_says(first.id, "报名成功。")
    details = await open_details(harness, second)
    await harness.press(second, details, "候补报名（不显示姓名）")
    await harness.bot_says(second.id, "名额已满，您已列入候补。")

    set_time(harness, local(2026, 11, 26, 8, 0))
    assert await sweep(harness) == 2  # the first's reminder and the group's list
    reminder = await harness.bot_says(first.id, "提醒：您报名的接待活动将于今天19:00开始。")
    await harness.press(first, reminder, "取消报名")
    await harness.bot_says(second.id, "有名额空出：您已报名参加")
    set_time(harness, local(2026, 11, 26, 9, 0))
    assert await sweep(harness) == 0
    set_time(harness, local(2026, 11, 26, 17, 0))
    assert await sweep(harness) == 1
    await harness.bot_says(second.id, "提醒：您报名的接待活动将于两小时后开始。")
    await harness.outbox_settled()
    said = [m["text"] for m in harness.fake.bot_messages(second.id)]
    assert not any("明天" in text for text in said)


async def test_a_smaller_capacity_moves_the_last_places_to_the_head_of_the_waitlist(
    harness: Harness,
):
    reception_id = await schedule(harness, local(2026, 12, 3, 19, 0), capacity=2)
    first, second, third = [await resident_in_haide(harness, 5530 + n) for n in range(3)]
    for resident, label, said in (
        (first, "报名（向代表显示姓名）", "报名成功。"),
        (second, "报名（向代表显示姓名）", "报名成功。"),
        (third, "候补报名（不显示姓名）", "名额已满，您已列入候补。"),
    ):
        details = await open_details(harness, resident)
        await harness.press(resident, details, label)
        await harness.bot_says(resident.id, said)

    # The room is smaller: one place. The second (the last to get a place) waits again,
    # ahead of the third, and is told with an apology; nobody else loses anything.
    outcome = await change(harness, reception_id, capacity=1)
    assert len(outcome.moved_to_waitlist) == 1 and outcome.told == 3
    sorry = await harness.bot_says(second.id, "很抱歉：")
    assert "名额已减少为1个，您的报名已转入候补名单首位" in sorry["text"]
    assert buttons(sorry) == ["取消报名"]
    for resident in (first, second, third):  # the change is announced to everyone signed up
        await harness.bot_says(resident.id, "接待活动有变更。")
    details = await open_details(harness, third)
    assert "名额已满（可候补）" in details["text"]

    # The first cancels: the place goes to the second, not to the third.
    details = await open_details(harness, first)
    await harness.press(first, details, "取消报名")
    await harness.bot_says(first.id, "已取消报名。")
    await harness.bot_says(second.id, "有名额空出：您已报名参加")
    await harness.outbox_settled()
    promoted = "有名额空出：您已报名参加"
    assert not any(promoted in m["text"] for m in harness.fake.bot_messages(third.id))
    # The old button of the apology still cancels the sign-up it belongs to.
    query = await harness.press(second, sorry, "取消报名")
    await answer_to(harness, query)
    await harness.bot_says(second.id, "已取消报名。")
    await harness.bot_says(third.id, "有名额空出：您已报名参加")
