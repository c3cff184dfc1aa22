"""Reports: a small week of the loop, counted by hand, and the dashboard and duty records the
panel shows of it, per city, street and station, within each staff member's streets."""

import re

import pytest
from sqlalchemy import select, text

from bot.core.reports import _at_once
from storage.db import open_database
from storage.models import StaffRole, Station
from tests.support.panel import browser, make_staff
from tests.support.reports import a_week_of_the_loop, deputy

FIGURE = re.compile(r'data-figure="(\w+)">([^<]*)<')


async def figures_of(client, path: str) -> dict[str, str]:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return dict(FIGURE.findall(await response.text()))


async def test_the_dashboard_counts_what_was_counted_by_hand(
    panel_app, panel_sessions, desk, clock
):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    client = await browser(panel_app)
    await client.log_in("admin")
    city = await figures_of(client, "/reports")
    assert city == {
        "received": "4",
        "resolved": "2",  # A and B; D was reopened
        "fed_back": "3",
        "overdue": "1",
        "resolution_rate": "50.0%",
        "median_response": "4.0 小时",  # 2, 4, 6 hours
        "median_answer": "2.0 天",  # 24, 48, 72 hours
        "reopened": "1",
        "satisfaction_rate": "50.0%",  # 满意 and 不满意, B not rated and apart
        "satisfied": "1",
        "fairly_satisfied": "0",
        "unsatisfied": "1",
        "not_rated": "1",
        "receptions_held": "1",
        "residents_received": "1",
        "attendance_rate": "50.0% (1/2)",
    }
    async with panel_sessions() as session:
        street = await session.scalar(select(Station.area_id).where(Station.code == "st-hd"))
        wx = await session.scalar(select(Station.id).where(Station.code == "st-wx"))
    haide = await figures_of(client, f"/reports?area={street}")
    assert (haide["received"], haide["overdue"], haide["receptions_held"]) == ("3", "0", "1")
    assert haide["median_answer"] == "2.0 天"
    wangxian = await figures_of(client, f"/reports?place=station%3D{wx}")
    assert (wangxian["received"], wangxian["overdue"], wangxian["fed_back"]) == ("1", "1", "0")
    assert wangxian["median_response"] == "—" and wangxian["receptions_held"] == "0"
    page = await (await client.get("/reports")).text()
    assert "住房与物业" in page or "—" in page  # the top categories, as a table
    assert '<table class="trend-weeks">' in page and 'data-chart="weeks"' in page
    precision = "与精确值相差不超过 1%"  # the city's medians, read from buckets
    assert precision in page
    assert precision not in await (await client.get(f"/reports?area={street}")).text()
    await client.close()


async def test_street_staff_see_their_streets_and_observers_the_city(
    panel_app, panel_sessions, desk, clock
):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    await make_staff(panel_sessions, clock, "guan", StaffRole.OBSERVER)
    li = await browser(panel_app)
    await li.log_in("li")
    own = await figures_of(li, "/reports")
    assert (own["received"], own["overdue"]) == ("3", "0")
    async with panel_sessions() as session:
        wx = await session.scalar(select(Station.id).where(Station.code == "st-wx"))
        zhao = await deputy(session, "d-zhao-gang")
    assert (await li.get(f"/reports?station={wx}")).status == 404
    assert (await li.get(f"/deputies/{zhao.id}/record")).status == 404
    await li.close()
    guan = await browser(panel_app)
    await guan.log_in("guan")
    city = await figures_of(guan, "/reports")
    assert city["received"] == "4"
    await guan.close()


async def test_a_deputys_duty_record_is_read_off_the_timeline(
    panel_app, panel_sessions, desk, clock
):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    client = await browser(panel_app)
    await client.log_in("admin")
    async with panel_sessions() as session:
        wang = await deputy(session, "d-wang-jianguo")
        chen = await deputy(session, "d-chen-li")
    listing = await (await client.get("/reports/deputies")).text()
    assert f"/deputies/{wang.id}/record" in listing and "王建国" in listing
    record = await figures_of(client, f"/deputies/{wang.id}/record")
    assert record == {
        "on_duty": "1",
        "attended": "1",
        "attendance_rate": "100.0%",
        "tickets_handled": "3",
        "tickets_answered": "3",
        "median_response": "4.0 小时",  # from reaching the group to his first step: 2, 4, 6 h
        "rating_satisfied": "1",
        "rating_fairly_satisfied": "0",
        "rating_unsatisfied": "1",
        "rating_none": "1",
    }
    absent = await figures_of(client, f"/deputies/{chen.id}/record")
    assert (absent["on_duty"], absent["attended"], absent["tickets_handled"]) == ("1", "0", "0")
    await client.close()


async def test_a_dashboards_failing_query_is_the_error_raised_once_all_have_ended(
    database_url, backend
):
    if backend != "postgres":
        pytest.skip("the queries run at once on PostgreSQL only")
    ended = []

    async def slow(session):
        await session.execute(text("SELECT pg_sleep(0.3)"))
        ended.append("slow")
        return 1

    async def failing(session):
        raise LookupError("no such figure")

    async with open_database(database_url) as sessions, sessions() as session:
        with pytest.raises(LookupError):
            await _at_once(session, sessions, slow, failing)
        assert ended == ["slow"]
        assert await session.scalar(text("SELECT 2")) == 2  # the request's session still works
