"""Staff run the directory from the panel: every section has a list and a form; a change passes
the checks of `load-directory` (a refused one changes nothing and is explained next to its
field), goes into the audit log, and takes effect at once (routing, deadlines, chats)."""

import io
import re

from sqlalchemy import func, select

from admin.security import FORM_MAX_SIZE, IMPORT_MAX_SIZE
from bench.city_directory import city_directory
from bot.core.deadlines import policy_for
from storage.models import (
    Area,
    AuditEntry,
    BindCode,
    CalendarDay,
    Category,
    DeadlinePolicy,
    Department,
    Deputy,
    DeputyGroup,
    Reception,
    RoutingRule,
    StaffRole,
    Station,
    Ticket,
)
from tests.support.panel import Browser, browser, make_staff, make_ticket

SQUARE = (
    '{"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.02, 30.0], [120.02, 30.02], '
    "[120.0, 30.02], [120.0, 30.0]]]}"
)


async def signed_in(app, sessions, clock, login="admin", role=StaffRole.ADMINISTRATOR, streets=()):
    await make_staff(sessions, clock, login, role, streets)
    client = await browser(app)
    assert (await client.log_in(login)).status == 303
    return client


def field_error(page: str, field: str) -> str:
    """The error shown next to a form field (empty if none)."""
    label = rf'<label for="f-{field}">.*?</label>'
    error = r'(?:<span class="field-error"[^>]*>([^<]*)</span>|</div>)'
    found = re.search(label + ".*?" + error, page, re.S)
    assert found, f"no field {field}"
    return found.group(1) or ""


async def audit_actions(sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


async def test_an_administrator_renames_an_area_and_redraws_its_boundary(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    listing = await (await admin.get("/directory/areas")).text()
    assert "海德街道" in listing and "<svg" in listing and "<path" in listing
    page = await (await admin.get("/directory/areas/jb-hd-hx")).text()
    assert 'data-code="jb-hd-hx"' in page  # its outline

    response = await admin.post(
        "/directory/areas/jb-hd-hx",
        {
            "name": "和祥新村社区",
            "name_en": "Hexiang New Village",
            "kind": "community",
            "parent": "jb-hd",
            "boundary": SQUARE,
        },
    )
    assert response.status == 303
    page = await (await admin.get(response.headers["Location"])).text()
    assert "已保存。" in page and "和祥新村社区" in page
    async with panel_sessions() as session:
        area = await session.scalar(select(Area).where(Area.code == "jb-hd-hx"))
        assert area.name == "和祥新村社区"
        assert area.boundary["coordinates"][0][1] == [120.02, 30.0]
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "directory.areas.save")
        )
        assert entry.target == "areas:jb-hd-hx"
        assert entry.before["name"] == "和祥社区" and entry.after["name"] == "和祥新村社区"
    await admin.close()


async def test_a_refused_form_changes_nothing_and_says_why_next_to_the_field(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/stations")
    response = await admin.post(
        "/directory/stations", {"code": "海德站", "name": "新站", "area": ""}
    )
    assert response.status == 400
    page = await response.text()
    assert field_error(page, "code") == "只能使用字母、数字和 _ . -"
    assert field_error(page, "area") == "必须填写"
    assert field_error(page, "name") == ""
    assert 'value="新站"' in page  # what was typed stays

    response = await admin.post(
        "/directory/areas/jb-hd-hx",
        {"name": "和祥社区", "kind": "community", "parent": "jb-hd", "boundary": "[[1, 2]"},
    )
    assert field_error(await response.text(), "boundary") == "不是有效的 GeoJSON（JSON）文本"
    response = await admin.post(
        "/directory/areas/jb-hd-hx",
        {"name": "和祥社区", "kind": "community", "parent": "jb-hd", "boundary": '{"type": 1}'},
    )
    assert "GeoJSON" in field_error(await response.text(), "boundary")
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count(Station.id))) == 4
        area = await session.scalar(select(Area).where(Area.code == "jb-hd-hx"))
        assert area.boundary["type"] == "Polygon"
    assert await audit_actions(panel_sessions) == []
    await admin.close()


async def test_an_entry_others_still_name_is_not_removed(panel_app, panel_sessions, clock):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/stations/st-wx")
    response = await admin.post("/directory/stations/st-wx/remove")
    page = await (await admin.get(response.headers["Location"])).text()
    assert "未删除" in page and "st-wx" in page
    await admin.get("/directory/areas/jb-hd")
    response = await admin.post("/directory/areas/jb-hd/remove")
    assert "请先删除其下的区域" in await (await admin.get(response.headers["Location"])).text()
    async with panel_sessions() as session:
        station = await session.scalar(select(Station).where(Station.code == "st-wx"))
        assert station.active

    await admin.get("/directory/departments/dept-civil")
    response = await admin.post("/directory/departments/dept-civil/remove")
    assert response.headers["Location"] == "/directory/departments"
    async with panel_sessions() as session:
        department = await session.scalar(select(Department).where(Department.code == "dept-civil"))
        assert not department.active  # kept for history, as the file loader does
    assert await audit_actions(panel_sessions) == [
        ("directory.departments.remove", "departments:dept-civil")
    ]
    await admin.close()


async def test_stations_groups_deputies_and_categories_are_added_from_their_forms(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    forms = [
        ("categories", {"code": "parking", "name": "停车管理", "name_en": "Parking"}),
        ("departments", {"code": "dept-police", "name": "区公安分局"}),
        ("stations", {"code": "st-hx", "name": "和祥社区联络点", "area": "jb-hd-hx"}),
        (
            "groups",
            [
                ("code", "g-hx"),
                ("name", "和祥社区代表小组"),
                ("station", "st-hx"),
                ("areas", "jb-hd-hx"),
                ("chat_id", "-1001000000999"),
            ],
        ),
        (
            "deputies",
            [("code", "d-qian"), ("name", "钱多多"), ("level", "区人大代表"), ("groups", "g-hx")],
        ),
    ]
    for slug, form in forms:
        await admin.get(f"/directory/{slug}")
        response = await admin.post(f"/directory/{slug}", form)
        assert response.status == 303, (slug, await response.text())
    async with panel_sessions() as session:
        deputy = await session.scalar(select(Deputy).where(Deputy.code == "d-qian"))
        await session.refresh(deputy, attribute_names=["groups"])
        assert [g.code for g in deputy.groups] == ["g-hx"]
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hx"))
        assert group.station.code == "st-hx"
        assert await session.scalar(select(Category.name).where(Category.code == "parking"))
    listing = await (await admin.get("/directory/deputies")).text()
    assert "钱多多" in listing and "和祥社区代表小组" in listing
    actions = [action for action, _ in await audit_actions(panel_sessions)]
    assert actions == [
        "directory.categories.save",
        "directory.departments.save",
        "directory.stations.save",
        "directory.deputy_groups.save",
        "directory.deputies.save",
    ]
    await admin.close()


async def test_a_new_routing_rule_routes_the_next_ticket(panel_app, panel_sessions, clock, desk):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/routing")
    response = await admin.post(
        "/directory/routing", {"area": "jb-hd-hx", "category": "", "group": "g-hd-2"}
    )
    assert response.status == 303
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区的垃圾桶满了")
    async with panel_sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        group = await session.get(DeputyGroup, ticket.deputy_group_id)
        assert group.code == "g-hd-2"
        assert await session.scalar(select(func.count(RoutingRule.id))) == 3
    # The same rule twice is refused, next to the group.
    await admin.get("/directory/routing")
    response = await admin.post(
        "/directory/routing", {"area": "jb-hd-hx", "category": "", "group": "g-hd-2"}
    )
    assert "出现了不止一次" in field_error(await response.text(), "group")
    await admin.close()


async def test_deadlines_and_holidays_are_set_in_the_panel(panel_app, panel_sessions, clock):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/deadlines")
    response = await admin.post("/directory/deadlines", {"key": "transport", "answer_days": "0"})
    assert field_error(await response.text(), "answer_days") == "至少为1"
    response = await admin.post("/directory/deadlines", {"key": "transport", "answer_days": "25"})
    assert response.status == 303
    async with panel_sessions() as session:
        transport = await session.scalar(select(Category.id).where(Category.code == "transport"))
        policy = await policy_for(session, transport)
        assert (policy.answer_days, policy.acknowledge_days) == (25, 2)

    await admin.get("/directory/calendar")
    response = await admin.post(
        "/directory/calendar", {"day": "2027-02-01", "note": "站点装修闭站"}
    )
    assert response.status == 303
    response = await admin.post("/directory/calendar/2027-01-01/remove")
    async with panel_sessions() as session:
        days = {d.day.isoformat(): d.workday for d in await session.scalars(select(CalendarDay))}
        assert days == {"2027-02-01": False}
        assert await session.scalar(select(func.count(DeadlinePolicy.id))) == 3
    await admin.close()


async def test_street_staff_issue_a_bind_code_for_their_own_group_shown_once(
    panel_app, panel_sessions, clock
):
    staff = await signed_in(panel_app, panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    page = await (await staff.get("/directory/groups/g-hd-2")).text()
    assert "保存" not in page  # read-only for street staff
    assert "-1001000000102" not in page  # chat ids are for administrators
    response = await staff.post("/directory/groups/g-hd-2/bind-code")
    page = await (await staff.get(response.headers["Location"])).text()
    code = re.search(r"/bind ([A-Z0-9]{5}-[A-Z0-9]{5})", page).group(1)
    again = await (await staff.get("/directory/groups/g-hd-2")).text()
    assert code not in again
    response = await staff.post("/directory/groups/g-wx/bind-code")
    assert response.status == 404
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count(BindCode.id))) == 1
        entry = await session.scalar(select(AuditEntry))
        assert (entry.action, entry.target) == (
            "directory.deputy_groups.bind_code",
            "deputy_groups:g-hd-2",
        )
        assert code not in str(entry.after) + str(entry.before)
    await staff.close()


async def test_observers_read_the_directory_but_change_nothing(panel_app, panel_sessions, clock):
    observer: Browser = await signed_in(panel_app, panel_sessions, clock, "obs", StaffRole.OBSERVER)
    page = await (await observer.get("/directory/deputies")).text()
    assert "王建国" in page and "7000000101" not in page
    response = await observer.post("/directory/categories", {"code": "x", "name": "某类"})
    assert response.status == 403
    response = await observer.post("/directory/groups/g-hd-1/bind-code")
    assert response.status == 403
    await observer.close()


BROKEN = """\
areas:
  - code: jb
    name: 江滨区
    kind: district
stations:
  - code: st-new
    name: 新站
    area: jb-nowhere
  - code: st-two
    kind: station
"""


async def test_a_broken_file_changes_nothing_and_every_problem_is_listed_with_its_line(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/import")
    response = await admin.post("/directory/import", {"file": BROKEN})
    assert response.status == 400
    page = await response.text()
    problems = re.findall(r"<li>(.*?)</li>", page.split('id="problems"')[1].split("</ul>")[0])
    assert problems == [
        "第9行 · <code>stations[1].name</code>：必须填写",
        "第9行 · <code>stations[1].area</code>：必须填写",
        "第10行 · <code>stations[1].kind</code>：该条目没有这一项",
    ]
    broken = BROKEN.replace("    kind: station\n", "    name: 第二站\n    area: jb\n")
    response = await admin.post("/directory/import", {"file": broken})
    problems = re.findall(r"<li>(.*?)</li>", (await response.text()).split('id="problems"')[1])
    assert problems[0] == "第8行 · <code>stations[0].area</code>：没有代码为“jb-nowhere”的区域"
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count(Station.id))) == 4
        assert await session.scalar(select(func.count(Station.id)).where(Station.active)) == 4
    assert await audit_actions(panel_sessions) == []
    await admin.close()


async def test_the_exported_file_loads_back_unchanged_and_an_import_is_audited(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    response = await admin.get("/directory/export")
    assert response.headers["Content-Disposition"] == 'attachment; filename="directory.yaml"'
    exported = await response.text()
    assert "海德街道第一代表小组" in exported and "chat_id: -1001000000101" in exported

    await admin.get("/directory/import")
    response = await admin.post("/directory/import", {"file": exported})
    assert response.status == 303
    page = await (await admin.get(response.headers["Location"])).text()
    assert "文件已导入：没有任何变化。" in page

    renamed = exported.replace("name: 海德街道代表联络站", "name: 海德街道人大代表联络站")
    await admin.post("/directory/import", {"file": renamed})
    page = await (await admin.get("/directory/import")).text()
    assert "文件已导入：代表联络站：新增0，变更1。" in page
    async with panel_sessions() as session:
        station = await session.scalar(select(Station).where(Station.code == "st-hd"))
        assert station.name == "海德街道人大代表联络站"
        entry = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "directory.import")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.after["updated"] == {"stations": 1}
    await admin.close()


async def test_a_deputys_account_is_a_number_and_belongs_to_one_deputy(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/deputies/d-zhou-ming")
    form = {"name": "周明", "level": "区人大代表", "groups": "g-hd-2"}
    response = await admin.post(
        "/directory/deputies/d-zhou-ming", form | {"telegram_user_id": "周明的账号"}
    )
    assert field_error(await response.text(), "telegram_user_id") == "请填写整数"
    response = await admin.post(
        "/directory/deputies/d-zhou-ming", form | {"telegram_user_id": "7000000101"}
    )
    assert field_error(await response.text(), "telegram_user_id") == "“7000000101”出现了不止一次"
    response = await admin.post("/directory/deputies/d-zhou-ming", form | {"groups": "g-nowhere"})
    assert field_error(await response.text(), "groups") == "没有代码为“g-nowhere”的代表小组"
    assert await audit_actions(panel_sessions) == []
    await admin.close()


RECEPTIONS = """
receptions:
  - {code: hd-a, kind: night, station: st-hd, in_days: 3, start: "19:00", end: "21:00",
     capacity: 10, deputies: [d-wang-jianguo], place: 海德路88号}
  - {code: hd-b, kind: micro, station: st-hd, in_days: 3, start: "20:00", end: "21:00",
     capacity: 4, deputies: [d-wang-jianguo], place: 和祥社区3号楼院内}
"""


async def test_an_imported_files_receptions_are_scheduled_as_load_directory_does(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    exported = await (await admin.get("/directory/export")).text()
    await admin.get("/directory/import")
    response = await admin.post("/directory/import", {"file": exported + RECEPTIONS})
    page = await (await admin.get(response.headers["Location"])).text()
    assert "新安排的接待：1场。" in page
    assert "接待hd-b未安排：该时段已在另一场接待值班：王建国" in page
    async with panel_sessions() as session:
        keys = list(await session.scalars(select(Reception.schedule_key)))
    assert keys == ["hd-a"]
    await admin.close()


async def test_a_city_sized_directory_file_is_imported_from_the_panel(
    panel_app, panel_sessions, clock
):
    """1,000 areas with boundaries, 300 stations, 3,000 deputies: far over a form's size."""
    city = city_directory(points=30).encode()
    assert len(city) > 1024 * 1024
    admin = await signed_in(panel_app, panel_sessions, clock)
    page = await (await admin.get("/directory/import")).text()
    assert "文件不超过32 MB。" in page
    response = await admin.post("/directory/import", {"file": io.BytesIO(city)})
    assert response.status == 303, await response.text()
    page = await (await admin.get(response.headers["Location"])).text()
    loaded = page.split('class="flash">')[1].split("</p>")[0]
    assert "区域：新增1000" in loaded and "人大代表：新增3000" in loaded
    assert "代表联络站：新增300" in loaded  # the demo's, not in the file, became inactive
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count(Area.id)).where(Area.active)) == 1000
        assert await session.scalar(select(func.count(Deputy.id)).where(Deputy.active)) == 3000
        shaped = select(func.count(Area.id)).where(Area.boundary.is_not(None))
        assert await session.scalar(shaped) >= 1000
    await admin.close()


async def test_a_file_over_the_import_limit_is_refused_politely_and_changes_nothing(
    panel_app, panel_sessions, clock
):
    admin = await signed_in(panel_app, panel_sessions, clock)
    await admin.get("/directory/import")
    too_large = b"# " + b"x" * IMPORT_MAX_SIZE
    response = await admin.post("/directory/import", {"file": io.BytesIO(too_large)})
    assert response.status == 413
    page = await response.text()
    assert "文件过大：管理后台导入的目录文件不超过32 MB，本次未导入任何内容。" in page
    assert "python -m bot load-directory" in page
    assert 'id="problems"' not in page
    assert await audit_actions(panel_sessions) == []
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count(Station.id))) == 4
    # In English for a staff member reading English; other forms stay small.
    await admin.post("/language", {"locale": "en", "next": "/directory/import"})
    await admin.get("/directory/import")
    response = await admin.post("/directory/import", {"file": io.BytesIO(too_large)})
    assert "The file is too large for the panel" in await response.text()
    form = {"code": "jb-big", "name": "大", "kind": "community", "parent": "jb-hd"}
    large_form = await admin.post("/directory/areas", form | {"name_en": "x" * FORM_MAX_SIZE})
    assert large_form.status == 413
    await admin.close()


async def test_only_administrators_see_the_import_limits_page(panel_app, panel_sessions, clock):
    street = await signed_in(
        panel_app, panel_sessions, clock, "li", StaffRole.STREET, streets=("jb-hd",)
    )
    await street.get("/inbox")
    too_large = b"x" * (IMPORT_MAX_SIZE + 1)
    response = await street.post("/directory/import", {"file": io.BytesIO(too_large)})
    assert response.status == 403
    assert "32 MB" not in await response.text()
    await street.close()
