"""Receptions (接待) as residents and deputies live them, through the fake Bot API: a resident
finds a reception with /receptions and signs up in two taps, says what they want to raise; the
next one joins the waitlist and gets the place when the first cancels from a reminder; both
reminders come once each (also from a second sweeper, after a restart); a change is announced
to everyone signed up and subscribed, and flagged to staff when late; a cancellation likewise;
old buttons and wrong codes get a clear answer; deputies check residents in."""

from typing import Any

from sqlalchemy import func, select

from bot.core.supervision import Supervisor
from storage.models import OutboxMessage, OutboxPurpose, ReceptionReminder
from tests.support.harness import Harness
from tests.support.receptions import HAIDE_STAFF_CHAT, cancel, change, local, schedule
from tests.support.stories import (
    HAIDE_GROUP_1,
    HAIDE_GROUP_2,
    WANG_JIANGUO,
    ZHOU_MING,
    answer_to,
    register_in_haide,
)

THURSDAY_EVENING = local(2026, 11, 26, 19, 0)  # three days and a half after START (Mon 18:30)
WHEN = "11月26日（周四）19:00—21:00"
TITLE = "夜间接待（海德街道代表联络站）"


def buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def set_time(harness: Harness, at) -> None:
    clock = harness.app.clock
    clock.advance(at - clock.now())  # type: ignore[attr-defined]


async def resident_in_haide(harness: Harness, user_id: int) -> Any:
    resident = harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    return resident


async def open_details(harness: Harness, resident: Any, number: int = 1) -> dict[str, Any]:
    """/receptions, then the reception's button: its details, with the sign-up buttons."""
    before = len(harness.fake.bot_messages(resident.id))
    seen = harness.fake.bot_messages(resident.id)[-1]["message_id"] if before else 0
    await resident.send_text("/receptions")
    listing = await harness.bot_says(resident.id, "近期接待活动", after=seen)
    labels = buttons(listing)
    await harness.press(resident, listing, next(b for b in labels if b.startswith(f"{number}. ")))
    await harness.fake.wait_for(lambda: len(harness.fake.bot_messages(resident.id)) >= before + 2)
    return await harness.bot_says(resident.id, "时间：")


def sweeper(harness: Harness) -> Supervisor:
    app = harness.app
    return Supervisor(app.sessionmaker, app.clock, app.catalogs, "Asia/Shanghai")


async def reminders_sent(harness: Harness, purpose: OutboxPurpose) -> int:
    async with harness.app.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == purpose)
        )
    return int(count or 0)


async def test_sign_up_waitlist_reminders_and_a_place_passed_on(harness: Harness):
    reception_id = await schedule(harness, THURSDAY_EVENING, capacity=1)
    first = await resident_in_haide(harness, 5301)
    second = await resident_in_haide(harness, 5302)

    await first.send_text("/receptions")
    listing = await harness.bot_says(first.id, "近期接待活动")
    assert f"1. {WHEN} · {TITLE} · 余1个名额" in listing["text"]
    assert buttons(listing) == ["1. 夜间接待", "关注海德街道代表联络站接待通知", "申请微接待"]
    details = await open_details(harness, first)
    assert "接待代表：王建国" in details["text"]
    assert "地点：海德路88号党群服务中心二楼" in details["text"]
    stale_details = await open_details(harness, first)  # the same, opened twice
    await harness.press(first, details, "报名（向代表显示姓名）")
    signed = await harness.bot_says(first.id, "报名成功。签到码：")
    assert buttons(signed) == ["取消报名"]
    await first.send_text("小区电梯老化，想问加装电梯的进度")
    await harness.bot_says(first.id, "已记下，代表将在报名名单中看到。")

    # Double sign-up from the details opened before: a clear answer, nothing changed.
    query = await harness.press(first, stale_details, "报名（向代表显示姓名）")
    assert (await answer_to(harness, query)).text == "您已报名该接待活动。"

    # Full: the second resident joins the waitlist, without their name.
    details = await open_details(harness, second)
    assert "名额已满（可候补）" in details["text"]
    await harness.press(second, details, "候补报名（不显示姓名）")
    await harness.bot_says(second.id, "名额已满，您已列入候补。")

    # The day before: a reminder to the resident with a place, the list to the group; once.
    set_time(harness, local(2026, 11, 25, 19, 0))
    assert (
        await sweeper(harness).sweep_without_lock(harness.app.clock.now())
    ).reception_reminders == 2
    harness.app.sender.wake()
    reminder = await harness.bot_says(first.id, "提醒：您报名的接待活动将于明天举行。")
    assert buttons(reminder) == ["取消报名"]
    listed = await harness.bot_says(HAIDE_GROUP_1, f"报名名单：{TITLE}")
    assert "已报名1人 · 候补1人" in listed["text"]
    assert "小红" in listed["text"] and "小区电梯老化，想问加装电梯的进度" in listed["text"]
    # A second sweeper, and one started afresh (a restart), find them claimed.
    again = [await sweeper(harness).sweep_without_lock(harness.app.clock.now()) for _ in range(2)]
    assert [report.reception_reminders for report in again] == [0, 0]
    assert await reminders_sent(harness, OutboxPurpose.RECEPTION_REMINDER) == 2

    # The first cancels from the reminder: the second gets the place and is told.
    await harness.press(first, reminder, "取消报名")
    await harness.bot_says(first.id, "已取消报名。")
    promoted = await harness.bot_says(second.id, "有名额空出：您已报名参加")
    assert f"{WHEN}的{TITLE}" in promoted["text"] and buttons(promoted) == ["取消报名"]

    # Two hours before: only the resident who now has the place; signed up after the day
    # before was due, they got no day-before reminder.
    set_time(harness, local(2026, 11, 26, 17, 0))
    report = await sweeper(harness).sweep_without_lock(harness.app.clock.now())
    assert report.reception_reminders == 1
    harness.app.sender.wake()
    await harness.bot_says(second.id, "提醒：您报名的接待活动将于两小时后开始。")
    assert (
        await sweeper(harness).sweep_without_lock(harness.app.clock.now())
    ).reception_reminders == 0
    async with harness.app.sessionmaker() as session:
        kinds = sorted(await session.scalars(select(ReceptionReminder.kind)))
    assert kinds == ["day_before", "signup_list", "two_hours"]

    # After the start: no sign-up (an old button says why), and it is no longer listed.
    set_time(harness, local(2026, 11, 26, 19, 5))
    query = await harness.press(first, stale_details, "报名（向代表显示姓名）")
    refusal = (await answer_to(harness, query)).text
    assert refusal == "该接待活动已开始，不能再报名或取消报名。"
    seen = harness.fake.bot_messages(first.id)[-1]["message_id"]
    await first.send_text("/receptions")
    await harness.bot_says(first.id, "目前没有已安排的接待活动。", after=seen)
    assert reception_id


async def test_a_change_is_announced_and_flagged_when_late_then_a_cancellation(harness: Harness):
    staff = harness.fake.group(HAIDE_STAFF_CHAT, "海德街道人大工委", [])
    reception_id = await schedule(harness, local(2026, 12, 3, 19, 0))
    signed_up = await resident_in_haide(harness, 5311)
    follower = await resident_in_haide(harness, 5312)
    details = await open_details(harness, signed_up)
    await harness.press(signed_up, details, "报名（不显示姓名）")
    await harness.bot_says(signed_up.id, "报名成功。")
    await follower.send_text("/receptions")
    listing = await harness.bot_says(follower.id, "近期接待活动")
    query = await harness.press(follower, listing, "关注海德街道代表联络站接待通知")
    assert (await answer_to(harness, query)).text.startswith("已关注海德街道代表联络站")

    # A new reception at the station: the follower hears of it.
    await schedule(
        harness,
        local(2026, 12, 10, 19, 0),
        kind=_themed(),
        theme="老旧小区改造",
        department="区住建局",
    )
    new = await harness.bot_says(follower.id, "您关注的联络站有新的接待活动：")
    assert "主题：老旧小区改造" in new["text"] and "邀请部门：区住建局" in new["text"]

    # Moved a week ahead of time: announced to both, not flagged.
    outcome = await change(harness, reception_id, capacity=30)
    assert (outcome.told, outcome.late) == (2, False)
    for resident in (signed_up, follower):
        await harness.bot_says(resident.id, "接待活动有变更。原定时间：12月3日（周四）19:00—21:00")

    # Late (the rules ask for three days' notice): allowed, and flagged to staff.
    set_time(harness, local(2026, 12, 1, 10, 0))
    seen = harness.fake.bot_messages(signed_up.id)[-1]["message_id"]
    outcome = await change(
        harness,
        reception_id,
        starts_at=local(2026, 12, 3, 18, 0),
        ends_at=local(2026, 12, 3, 20, 0),
    )
    assert (outcome.late, outcome.staff_told) == (True, True)
    moved = await harness.bot_says(signed_up.id, "变更后：", after=seen)
    assert "时间：12月3日（周四）18:00—20:00" in moved["text"]
    flag = await harness.bot_says(staff.id, "提前不足三天")
    assert "12月3日（周四）18:00—20:00的夜间接待（海德街道代表联络站）已变更" in flag["text"]

    # Cancelled: both told; the old buttons answer that it is cancelled.
    stale = await open_details(harness, follower)
    outcome = await cancel(harness, reception_id, "场地临时维修")
    assert outcome.told == 2
    for resident in (signed_up, follower):
        said = await harness.bot_says(resident.id, "已取消。")
        assert "原因：场地临时维修" in said["text"] or "场地临时维修" in said["text"]
    query = await harness.press(follower, stale, "报名（向代表显示姓名）")
    assert (await answer_to(harness, query)).text == "该接待活动已取消。"


def _themed():
    from storage.models import ReceptionKind

    return ReceptionKind.THEMED


async def test_deputies_check_residents_in_by_code_and_from_the_list(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    tonight = await schedule(harness, local(2026, 11, 23, 19, 30), deputies=())
    later = await schedule(harness, local(2026, 11, 30, 19, 30), deputies=())
    resident = await resident_in_haide(harness, 5321)
    other = await resident_in_haide(harness, 5322)
    codes = {}
    for who, number in ((resident, 1), (other, 2)):
        details = await open_details(harness, who, number)
        await harness.press(who, details, "报名（向代表显示姓名）")
        said = await harness.bot_says(who.id, "报名成功。签到码：")
        codes[who.id] = said["text"].split("签到码：")[1].split()[0]
    assert tonight and later

    await wang.send_text("/checkin", chat=group)
    await harness.bot_says(group.id, "请提供群众的签到码")
    await wang.send_text(f"/checkin {codes[other.id]}", chat=group)
    wrong = await harness.bot_says(group.id, "该签到码属于另一场接待活动")
    assert "11月30日（周一）19:30—21:30" in wrong["text"]
    await wang.send_text("/checkin ZZZZ", chat=group)
    await harness.bot_says(group.id, "没有与该签到码对应的报名，请核对。")
    zhou = harness.groups[HAIDE_GROUP_2].members[ZHOU_MING]  # a deputy of another group
    group.members[ZHOU_MING] = zhou
    await zhou.send_text(f"/checkin {codes[resident.id]}", chat=group)
    await harness.bot_says(group.id, "只有本代表小组登记的人大代表可以办理签到。")

    # Set less than a day ahead, its sign-up list is due two hours before; /reception shows
    # it any time, as now. (No empty list came when it was set.)
    seen = harness.fake.bot_messages(group.id)[-1]["message_id"]
    await wang.send_text("/reception", chat=group)
    listed = await harness.bot_says(group.id, "11月23日（周一）19:30", after=seen)
    assert not any("暂无报名" in m["text"] for m in harness.fake.bot_messages(group.id))
    assert buttons(listed) == [f"签到 {codes[resident.id]}"], listed
    await harness.press(wang, listed, f"签到 {codes[resident.id]}")
    checked = await harness.bot_says(group.id, "已签到")
    assert buttons(checked) == []
    await wang.send_text(f"/checkin {codes[resident.id].lower()}", chat=group)
    await harness.bot_says(group.id, "该群众已签到。")


async def test_a_second_check_in_at_the_later_of_two_receptions_says_checked_in_already(
    harness: Harness,
):
    """Two receptions of the group today; the code is of the later one. Checked in once, the
    same code again is answered "already checked in", not "another reception"."""
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    await schedule(harness, local(2026, 11, 23, 19, 0), deputies=(), hours=1)
    await schedule(harness, local(2026, 11, 23, 20, 0), deputies=(), hours=1)
    resident = await resident_in_haide(harness, 5331)
    details = await open_details(harness, resident, 2)
    assert "20:00" in details["text"]
    await harness.press(resident, details, "报名（向代表显示姓名）")
    said = await harness.bot_says(resident.id, "报名成功。签到码：")
    code = said["text"].split("签到码：")[1].split()[0]

    await wang.send_text(f"/checkin {code}", chat=group)
    await harness.bot_says(group.id, "已签到")
    seen = harness.fake.bot_messages(group.id)[-1]["message_id"]
    await wang.send_text(f"/checkin {code}", chat=group)
    await harness.bot_says(group.id, "该群众已签到。", after=seen)
