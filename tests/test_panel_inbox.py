"""The inbox: Chinese full-text search, filters with their counts, sorting, pages and saved
filters, within the staff member's scope; the supervision view and statistics."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.core.inbox import PAGE_SIZE, InboxFilter, inbox
from bot.core.scope import Scope
from storage.models import OutboxMessage, StaffRole, Ticket, TicketStatus
from tests.support.panel import browser, make_staff, make_ticket

TEXTS = {
    "jb-hd-hx": "和祥社区3号楼门口的路灯坏了两个星期",
    "jb-hd-ys": "沿山社区停车位不够，晚上车停满了消防通道",
    "jb-wx-dm": "东门社区菜市场噪音扰民",
}
EVERYTHING = Scope(everything=True)


async def test_search_finds_chinese_text_on_both_databases(panel_sessions, desk, clock):
    for area, text in TEXTS.items():
        await make_ticket(panel_sessions, desk, area, text)
    async with panel_sessions() as session:

        async def found(words: str) -> list[str]:
            page = await inbox(session, EVERYTHING, InboxFilter(search=words), clock.now())
            return [ticket.text for ticket in page.tickets]

        assert await found("消防通道") == [TEXTS["jb-hd-ys"]]
        assert await found("路灯坏了") == [TEXTS["jb-hd-hx"]]
        assert await found("噪音") == [TEXTS["jb-wx-dm"]]  # two characters: below a trigram
        assert await found("社区") == sorted(TEXTS.values(), key=list(TEXTS.values()).index)
        assert await found("地铁站") == []


async def test_filters_counts_pages_and_scope(panel_sessions, desk, clock):
    for index in range(PAGE_SIZE + 2):
        await make_ticket(panel_sessions, desk, "jb-hd-hx", f"第{index}件：路灯坏了")
    await make_ticket(panel_sessions, desk, "jb-wx-dm", "东门社区菜市场噪音扰民")
    async with panel_sessions.begin() as session:
        first = await session.scalar(select(Ticket).order_by(Ticket.id))
        first.overdue_since = clock.now()
        await session.execute(
            update(Ticket)
            .where(Ticket.id == first.id + 1)
            .values(answer_due=clock.now() + timedelta(days=1))
        )
    async with panel_sessions() as session:
        everything = await inbox(session, EVERYTHING, InboxFilter(), clock.now())
        assert everything.total == PAGE_SIZE + 3 and everything.pages == 2
        assert len(everything.tickets) == PAGE_SIZE
        assert everything.counts["overdue"] == 1
        assert everything.counts["unrouted"] == 0
        second_page = await inbox(session, EVERYTHING, InboxFilter(page=2), clock.now())
        assert len(second_page.tickets) == 3
        overdue = await inbox(session, EVERYTHING, InboxFilter(flag="overdue"), clock.now())
        assert [t.id for t in overdue.tickets] == [first.id]
        newest = await inbox(session, EVERYTHING, InboxFilter(sort="newest"), clock.now())
        assert newest.tickets[0].text == "东门社区菜市场噪音扰民"
        assigned = InboxFilter(status=TicketStatus.ASSIGNED)
        assert (await inbox(session, EVERYTHING, assigned, clock.now())).total == PAGE_SIZE + 3
        assert (
            await inbox(session, Scope(everything=False), InboxFilter(), clock.now())
        ).total == 0


async def test_a_groups_inbox_by_deadline_puts_the_earliest_first_and_none_last(
    panel_sessions, desk, clock
):
    numbers = [await make_ticket(panel_sessions, desk, "jb-hd-hx", f"第{i}件") for i in range(4)]
    soon, later = clock.now() + timedelta(days=1), clock.now() + timedelta(days=5)
    deadlines = dict(zip(numbers, [later, None, soon, later], strict=True))
    async with panel_sessions.begin() as session:
        for number, due in deadlines.items():
            await session.execute(
                update(Ticket).where(Ticket.number == number).values(answer_due=due)
            )
        group = await session.scalar(
            select(Ticket.deputy_group_id).where(Ticket.number == numbers[0])
        )
    async with panel_sessions() as session:
        wanted = InboxFilter(group=group, sort="due")
        page = await inbox(session, EVERYTHING, wanted, clock.now())
    # The earliest deadline first, equal ones in the order raised, the one without one last.
    assert [t.number for t in page.tickets] == [numbers[2], numbers[0], numbers[3], numbers[1]]


async def test_the_pages_of_the_inbox_supervision_and_statistics(
    panel_app, panel_sessions, clock, desk
):
    await make_staff(panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    await make_staff(panel_sessions, clock, "guan", StaffRole.OBSERVER)
    own = await make_ticket(panel_sessions, desk, "jb-hd-hx", TEXTS["jb-hd-hx"])
    other = await make_ticket(panel_sessions, desk, "jb-wx-dm", TEXTS["jb-wx-dm"])
    async with panel_sessions.begin() as session:
        await session.execute(
            update(Ticket).where(Ticket.number == own).values(overdue_since=clock.now())
        )
    staff = await browser(panel_app)
    await staff.log_in("li")
    page = await (await staff.get("/inbox")).text()
    assert f"/tickets/{own}" in page and f"/tickets/{other}" not in page
    # The groups offered (to filter by, and to assign to) are the street's own, by name.
    assert page.count(">海德街道第二代表小组</option>") == 2 and "望仙街道代表小组" not in page
    saved = await staff.post("/inbox/filters", {"name": "超期的", "flag": "overdue"})
    assert saved.headers["Location"] == "/inbox?flag=overdue"
    page = await (await staff.get("/inbox")).text()
    assert '<a href="/inbox?flag=overdue">超期的</a>' in page
    supervision = await (await staff.get("/supervision")).text()
    assert f"/tickets/{own}" in supervision and "海德街道第一代表小组" in supervision
    english = await staff.post("/language", {"locale": "en", "next": "/inbox"})
    assert english.headers["Location"] == "/inbox"
    assert "Overdue" in await (await staff.get("/inbox")).text()
    await staff.close()

    observer = await browser(panel_app)
    await observer.log_in("guan")
    stats = await observer.get("/")
    text = await stats.text()
    assert stats.url.path == "/stats" and "海德街道代表联络站" in text
    assert "路灯" not in text and "李小红" not in text  # no personal data, no texts
    await observer.close()


async def test_a_bulk_conclusion_with_a_template_in_each_residents_language(
    panel_app, panel_sessions, clock, desk
):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    chinese = await make_ticket(panel_sessions, desk, "jb-hd-hx", TEXTS["jb-hd-hx"])
    english = await make_ticket(panel_sessions, desk, "jb-hd-ys", TEXTS["jb-hd-ys"], locale="en")
    client = await browser(panel_app)
    await client.log_in("admin")
    await client.get("/templates")
    variants = {"zh_Hans": "已列入明年改造计划。", "en": "It is in next year's renovation plan."}
    for locale, text in variants.items():
        form = {"name": "列入计划", "status": "assigned", "locale": locale, "text": text}
        assert (await client.post("/templates", form)).status == 303
    page = await (await client.get("/templates")).text()
    assert "It is in next year&#39;s renovation plan." in page
    await client.get("/inbox")
    form = [("ticket", chinese), ("ticket", english), ("action", "close"), ("template", "列入计划")]
    await client.post("/inbox/bulk", form)
    assert "共2件，已完成2件。" in await (await client.get("/inbox")).text()
    async with panel_sessions() as session:
        reasons = dict(
            (await session.execute(select(Ticket.number, Ticket.close_reason))).tuples().all()
        )
        texts = [m.payload["text"] for m in await session.scalars(select(OutboxMessage))]
    assert reasons == {chinese: variants["zh_Hans"], english: variants["en"]}
    assert any(variants["en"].replace("'", "&#x27;") in t or variants["en"] in t for t in texts)
    # A template for another state is refused, and nothing changes.
    third = await make_ticket(panel_sessions, desk, "jb-hd-hx", "第三件")
    await client.get(f"/tickets/{third}")
    async with panel_sessions.begin() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == third))
        ticket.status = TicketStatus.ANSWERED
    await client.post(f"/tickets/{third}/close", {"template": "列入计划"})
    async with panel_sessions() as session:
        assert (
            await session.scalar(select(Ticket.status).where(Ticket.number == third)) == "answered"
        )
    await client.close()
