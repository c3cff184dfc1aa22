"""The public results page (五公开): anyone may read a station's deputies, receptions and
results without logging in; staff choose the answered items shown, and those show only as
category, community, month and outcome. A dataset full of names, phone numbers and words
leaves none of them on the page, whatever the address asks for."""

from datetime import timedelta

from sqlalchemy import select, update

from admin.keys import PUBLIC_CACHE
from bot.core.directory import load_directory
from bot.core.directory.file import parse_directory
from bot.core.tickets import as_deputy
from storage.models import Deputy, Reception, StaffRole, Ticket
from tests.support.harness import DEMO_DIRECTORY
from tests.support.panel import browser, make_staff, make_ticket
from tests.support.reports import a_week_of_the_loop, deputy

PHONE_TEXT = "我是张伟，电话13812345678，住和祥社区5栋302，楼道灯坏了没人修"
REPLY = "张伟您好，已请物业今天更换楼道灯。"


async def a_station_with_residents_data(panel_sessions, desk, clock) -> dict[str, str]:
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    numbers["E"] = await make_ticket(panel_sessions, desk, "jb-hd-hx", PHONE_TEXT, name="张伟")
    async with panel_sessions.begin() as session:
        wang = await deputy(session, "d-wang-jianguo")
        wang.public_profile = "社区医生，关注养老服务。"
        ticket = await session.scalar(select(Ticket).where(Ticket.number == numbers["E"]))
        await desk.accept(session, ticket, wang)
        await desk.reply_from_deputy(session, ticket, wang, REPLY)
        await desk.close_unresolvable(
            session, ticket, as_deputy(wang), "张伟家楼道属私人产权，物业无法更换。"
        )
        await session.execute(
            update(Reception).values(theme="老旧小区改造", ends_at=Reception.ends_at)
        )
    clock.advance(timedelta(hours=1))
    return numbers


async def test_the_public_page_shows_results_and_no_personal_data(
    panel_app, panel_sessions, desk, clock
):
    numbers = await a_station_with_residents_data(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    staff = await browser(panel_app)
    await staff.log_in("li")
    for name in ("A", "E", "C"):  # C is another street's, and unanswered
        await staff.get(f"/tickets/{numbers[name]}")
        response = await staff.post(f"/tickets/{numbers[name]}/publish", {"publishable": "yes"})
        assert response.status in (303, 404)
    refused = await staff.get(f"/tickets/{numbers['B']}")
    assert "发布到公开页面" in await refused.text()
    await staff.close()

    visitor = await browser(panel_app)
    listing = await visitor.get("/public/")
    assert listing.status == 200
    assert 'href="/public/st-hd"' in await listing.text()
    page = await visitor.get("/public/st-hd")
    assert page.status == 200
    assert page.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in page.headers
    html = await page.text()
    for shown in ("王建国", "区人大代表", "社区医生，关注养老服务。", "老旧小区改造"):
        assert shown in html
    assert html.count("和祥社区 · 2026-11") == 2  # A and E, and nothing of C
    assert "暂不具备条件" in html and "已办结" in html
    assert 'data-figure="received">4<' in html  # A, B, D and E (C is held by 望仙)

    async with panel_sessions() as session:
        texts = list(await session.scalars(select(Ticket.text)))
        names = {"李小红", "张伟"}
        hidden = [
            *texts,
            *names,
            "13812345678",
            "302",
            REPLY,
            "张伟家楼道属私人产权",
            "已协调有关部门处理",
            *numbers.values(),
        ]
    for query in ("", "?lang=en", "?q=李小红", "?number=" + numbers["E"], "?lang=<b>x</b>"):
        html = await (await visitor.get(f"/public/st-hd{query}")).text()
        assert [word for word in hidden if word in html] == []
        assert "<b>x</b>" not in html
    assert (await visitor.get("/public/李小红")).status == 404
    assert (await visitor.get("/public/no-such-station")).status == 404
    assert ("/public/st-hd", "zh_Hans") in panel_app[PUBLIC_CACHE].pages
    await visitor.close()


async def test_what_a_deputy_agreed_to_publish_comes_from_the_directory_file(panel_sessions):
    wang = "telegram_user_id: 7000000101,"
    text = DEMO_DIRECTORY.read_text(encoding="utf-8").replace(
        wang, f"public_profile: 社区医生，关注养老服务。, {wang}"
    )
    async with panel_sessions.begin() as session:
        await load_directory(session, parse_directory(text))
    async with panel_sessions() as session:
        profiles = dict((await session.execute(select(Deputy.code, Deputy.public_profile))).all())
    assert profiles["d-wang-jianguo"] == "社区医生，关注养老服务。"
    assert profiles["d-chen-li"] is None  # nothing unless they agreed
