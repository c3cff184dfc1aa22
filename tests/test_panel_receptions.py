"""Staff run receptions from the panel while the bot runs against the fake Bot API: what they
schedule, change or cancel is announced to residents (and flagged to the street's staff chat
when late) exactly as from the command line; they see the sign-ups and the waitlist, check
residents in, record attendance, and the issues raised become opinions and suggestions."""

from aiohttp import web
from sqlalchemy import select

from bot.core.reception_signups import Signups
from storage.models import (
    AuditEntry,
    Contact,
    Reception,
    ReceptionChange,
    ReceptionDuty,
    ReceptionStatus,
    RecipientKind,
    Resident,
    StaffRole,
    Ticket,
)
from tests.support.harness import Harness
from tests.support.panel import Browser, browser, make_staff
from tests.support.receptions import HAIDE_STAFF_CHAT, local, reception_desk, schedule
from tests.support.stories import register_in_haide

FORM = {
    "kind": "night",
    "station": "st-hd",
    "group": "",
    "starts_at": "2026-12-03T19:00",
    "ends_at": "2026-12-03T21:00",
    "capacity": "20",
    "deputies": "d-wang-jianguo",
    "place": "海德路88号党群服务中心二楼",
}


async def street_staff(harness: Harness, panel: web.Application) -> Browser:
    app = harness.app
    await make_staff(app.sessionmaker, app.clock, "li", StaffRole.STREET, ("jb-hd",))
    client = await browser(panel)
    assert (await client.log_in("li")).status == 303
    await client.get("/receptions/new")
    return client


async def resident_of(harness: Harness, user_id: int) -> Resident:
    async with harness.app.sessionmaker() as session:
        found = await session.scalar(
            select(Resident)
            .join(Contact, Contact.recipient_id == Resident.id)
            .where(
                Contact.recipient_kind == RecipientKind.RESIDENT, Contact.address == str(user_id)
            )
        )
        assert found is not None
        return found


async def follows_haide(harness: Harness, user_id: int):
    user = harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, user)
    resident = await resident_of(harness, user_id)
    async with harness.app.sessionmaker.begin() as session:
        station = await reception_desk(harness).station_of_area(session, resident.area_id)
        await Signups(reception_desk(harness)).subscribe(session, resident, station)
    return user


async def sign_up(harness: Harness, reception_id: int, user_id: int, show_name: bool) -> str:
    resident = await resident_of(harness, user_id)
    async with harness.app.sessionmaker.begin() as session:
        reception = await session.get_one(Reception, reception_id)
        signup = await Signups(reception_desk(harness)).sign_up(
            session, reception, resident, show_name
        )
        return signup.code


async def audit_actions(harness: Harness) -> list[str]:
    async with harness.app.sessionmaker() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_a_reception_scheduled_in_the_panel_is_announced_then_changed_late_and_cancelled(
    harness: Harness, panel: web.Application
):
    follower = await follows_haide(harness, 5601)
    staff_chat = harness.fake.group(HAIDE_STAFF_CHAT, "海德街道人大工委", [])
    staff = await street_staff(harness, panel)

    response = await staff.post("/receptions", FORM)
    assert response.status == 303, await response.text()
    page = await (await staff.get(response.headers["Location"])).text()
    assert "接待活动已安排。" in page
    assert "已通知的居民（已报名或关注本联络站）：1人。" in page
    new = await harness.bot_says(follower.id, "您关注的联络站有新的接待活动：")
    assert "12月3日（周四）19:00—21:00" in new["text"]
    reception_id = int(response.headers["Location"].rsplit("/", 1)[1])

    # Moved within three days of it: allowed, told, and flagged to the street's staff chat.
    harness.app.clock.advance(local(2026, 12, 1, 10) - harness.app.clock.now())
    await staff.log_in("li")  # a week later: the panel's session has ended meanwhile
    await staff.get(f"/receptions/{reception_id}")
    moved = FORM | {"starts_at": "2026-12-03T18:00", "ends_at": "2026-12-03T20:00"}
    response = await staff.post(f"/receptions/{reception_id}/change", moved)
    assert response.status == 303, (response.status, await response.text())
    page = await (await staff.get(response.headers["Location"])).text()
    assert "提前不足三天" in page and "已通知街道工作群" in page
    await harness.bot_says(follower.id, "接待活动有变更。原定时间：12月3日（周四）19:00—21:00")
    await harness.bot_says(staff_chat.id, "提前不足三天")

    response = await staff.post(f"/receptions/{reception_id}/cancel", {"reason": "场地临时维修"})
    assert response.status == 303
    said = await harness.bot_says(follower.id, "已取消。")
    assert "场地临时维修" in said["text"]
    async with harness.app.sessionmaker() as session:
        reception = await session.get_one(Reception, reception_id)
        assert reception.status == ReceptionStatus.CANCELLED
        assert reception.starts_at == local(2026, 12, 3, 18)
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == [
        "reception.create",
        "reception.change",
        "reception.cancel",
    ]
    assert entries[1].before["starts_at"] != entries[1].after["starts_at"]
    assert entries[1].after["late"] is True
    await staff.close()


async def test_a_refused_reception_form_says_why_next_to_the_field_and_schedules_nothing(
    harness: Harness, panel: web.Application
):
    staff = await street_staff(harness, panel)
    response = await staff.post("/receptions", FORM | {"ends_at": "2026-12-03T18:00"})
    assert response.status == 400
    page = await response.text()
    assert "结束时间不能早于开始时间。" in page.split('id="r-ends"')[1].split("</div>")[0]
    page = await (await staff.post("/receptions", FORM | {"place": ""})).text()
    assert (
        "请填写地点，线上接待请填写参加方式。" in page.split('id="r-place"')[1].split("</div>")[0]
    )
    # Another street's station is neither offered nor accepted.
    assert "st-wx" not in page
    page = await (await staff.post("/receptions", FORM | {"station": "st-wx"})).text()
    assert "请选择代表联络站。" in page.split('id="r-station"')[1].split("</div>")[0]
    async with harness.app.sessionmaker() as session:
        assert list(await session.scalars(select(Reception.id))) == []
    assert await audit_actions(harness) == []
    await staff.close()


async def test_sign_ups_waitlist_check_in_attendance_and_an_issue_that_becomes_a_ticket(
    harness: Harness, panel: web.Application
):
    reception_id = await schedule(harness, local(2026, 11, 26, 19), capacity=1)
    for user_id in (5611, 5612):
        await register_in_haide(
            harness, harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
        )
    first = await sign_up(harness, reception_id, 5611, show_name=True)
    second = await sign_up(harness, reception_id, 5612, show_name=False)
    staff = await street_staff(harness, panel)

    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    signed_up = page.split('id="signed-up"')[1].split("</table>")[0]
    assert first in signed_up and "小红" in signed_up
    waitlist = page.split('id="waitlist"')[1].split("</ol>")[0]
    assert second in waitlist and "（未显示姓名）" in waitlist

    listing = await (await staff.get("/receptions")).text()
    assert "1 / 1" in listing
    listing = await (await staff.get("/receptions?when=past")).text()
    assert f"/receptions/{reception_id}" not in listing

    # At the reception: check-in by code (the waitlisted one is refused), then the record.
    harness.app.clock.advance(local(2026, 11, 26, 19, 30) - harness.app.clock.now())
    await staff.log_in("li")
    await staff.get(f"/receptions/{reception_id}")
    response = await staff.post(f"/receptions/{reception_id}/checkin", {"code": second})
    assert response.status == 303, await response.text()
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    assert "未办理：该居民在候补名单中，还没有名额。" in page
    await staff.post(f"/receptions/{reception_id}/checkin", {"code": first.lower()})
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    assert f"已签到：{first}。" in page

    async with harness.app.sessionmaker() as session:
        duty = await session.scalar(
            select(ReceptionDuty).where(ReceptionDuty.reception_id == reception_id)
        )
    await staff.post(f"/receptions/{reception_id}/attendance", {f"came_{duty.deputy_id}": "yes"})
    nonce = page.split('name="nonce" value="')[1].split('"')[0]
    raised = {"code": first, "text": "小区门口的路灯坏了，希望尽快修好。", "nonce": nonce}
    await staff.post(f"/receptions/{reception_id}/raise", raised)
    await staff.post(f"/receptions/{reception_id}/raise", raised)  # pressed twice: one ticket
    # Someone who came without signing up: a ticket too, with a claim code to hand them.
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    nonce = page.split('name="nonce" value="')[1].split('"')[0]
    walk_in = {"code": "", "text": "菜市场门口下雨就积水。", "nonce": nonce}
    await staff.post(f"/receptions/{reception_id}/raise", walk_in)
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    assert "已登记为意见建议（A-2026-000002）。请将认领码" in page
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    outcomes = page.split('id="outcomes"')[1].split("</ul>")[0]
    async with harness.app.sessionmaker() as session:
        tickets = list(await session.scalars(select(Ticket)))
        attended = await session.scalar(
            select(ReceptionDuty.attended).where(ReceptionDuty.id == duty.id)
        )
        assert attended is True
    assert len(tickets) == 2 and all(t.number in outcomes for t in tickets)
    await harness.bot_says(5611, tickets[0].number)

    await staff.get(f"/receptions/{reception_id}")
    await staff.post(f"/receptions/{reception_id}/close")
    await harness.bot_says(5611, "满意")
    assert await audit_actions(harness) == [
        "reception.check_in",
        "reception.attendance",
        "reception.raise",
        "reception.raise",
        "reception.close_record",
    ]
    await staff.close()


async def test_another_streets_reception_is_as_if_it_did_not_exist(
    harness: Harness, panel: web.Application
):
    reception_id = await schedule(
        harness,
        local(2026, 12, 2, 19),
        station="st-wx",
        group="g-wx",
        deputies=("d-li-xiumei",),
        place="望仙路12号",
    )
    staff = await street_staff(harness, panel)
    assert (await staff.get(f"/receptions/{reception_id}")).status == 404
    response = await staff.post(f"/receptions/{reception_id}/cancel", {"reason": "x"})
    assert response.status == 404
    assert f"/receptions/{reception_id}" not in await (await staff.get("/receptions")).text()
    async with harness.app.sessionmaker() as session:
        reception = await session.get_one(Reception, reception_id)
        assert reception.status == ReceptionStatus.SCHEDULED
    await staff.close()


async def test_the_reception_page_shows_its_history_who_when_what_and_who_was_told(
    harness: Harness, panel: web.Application
):
    await follows_haide(harness, 5621)
    staff = await street_staff(harness, panel)
    response = await staff.post("/receptions", FORM)
    reception_id = int(response.headers["Location"].rsplit("/", 1)[1])
    await staff.get(f"/receptions/{reception_id}")
    smaller = FORM | {"starts_at": "2026-12-03T18:30", "capacity": "8", "place": "海德社区活动室"}
    assert (await staff.post(f"/receptions/{reception_id}/change", smaller)).status == 303
    await staff.get(f"/receptions/{reception_id}")
    await staff.post(f"/receptions/{reception_id}/cancel", {"reason": "场地临时维修"})

    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    steps = page.split('id="changes"')[1].split("</ol>")[0].split("<time>")[1:]
    assert len(steps) == 3
    created, changed, cancelled = steps
    assert "安排了接待活动" in created and "li名" in created
    assert "开始时间：2026-12-03 19:00" in created and "已通知居民1人。" in created
    assert "变更了接待活动" in changed
    assert "开始时间：2026-12-03 19:00 → 2026-12-03 18:30" in changed
    assert (
        "名额：20 → 8" in changed and "地点：海德路88号党群服务中心二楼 → 海德社区活动室" in changed
    )
    assert "结束时间" not in changed  # only what changed
    assert "已通知居民1人。" in changed
    assert "取消了接待活动" in cancelled and "状态：已安排 → 已取消" in cancelled
    assert "理由：场地临时维修" in cancelled and "已通知居民1人。" in cancelled

    await staff.post("/language", {"locale": "en", "next": f"/receptions/{reception_id}"})
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    history = page.split('id="changes"')[1].split("</ol>")[0]
    assert "Changed the reception" in history and "Places: 20 → 8" in history
    assert "Begins: 2026-12-03 19:00 → 2026-12-03 18:30" in history
    assert "1 resident was told." in history
    await staff.close()


async def test_a_change_nobody_heard_of_says_so_and_an_older_one_claims_nothing(
    harness: Harness, panel: web.Application
):
    reception_id = await schedule(harness, local(2026, 12, 5, 19))  # nobody follows the station
    async with harness.app.sessionmaker.begin() as session:
        session.add(  # recorded before the history counted who was told
            ReceptionChange(
                reception_id=reception_id,
                at=harness.app.clock.now(),
                by="command line (ops)",
                action="changed",
                before={"capacity": 30},
                after={"capacity": 20},
            )
        )
    staff = await street_staff(harness, panel)
    page = await (await staff.get(f"/receptions/{reception_id}")).text()
    created, older = page.split('id="changes"')[1].split("</ol>")[0].split("<time>")[1:]
    assert "未通知居民（无人报名或关注本联络站）。" in created
    assert "command line (ops)" in older and "名额：30 → 20" in older
    assert "通知" not in older
    await staff.close()
