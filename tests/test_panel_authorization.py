"""The authorization matrix, generated from the route table: every route × every role (and
street staff of the ticket's street and of another) → allowed, or refused (403/404). A route
added to the table is checked here without anyone writing a test for it."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from admin.access import Access
from admin.keys import ACCESS
from admin.routes import ROUTES, Route
from bot.core import staff
from bot.core.receptions import ReceptionDesk, ReceptionPlan
from storage.models import (
    Deputy,
    DeputyGroup,
    ReceptionKind,
    SavedFilter,
    StaffMember,
    StaffRole,
    Station,
    Suggestion,
    Ticket,
)
from tests.support.panel import Browser, browser, make_staff, make_ticket


@dataclass(frozen=True)
class Who:
    name: str
    role: StaffRole | None
    streets: tuple[str, ...] = ()


PEOPLE = (
    Who("anonymous", None),
    Who("administrator", StaffRole.ADMINISTRATOR),
    Who("street_own", StaffRole.STREET, ("jb-hd",)),
    Who("street_other", StaffRole.STREET, ("jb-wx",)),
    Who("observer", StaffRole.OBSERVER),
)
ALLOWED = {
    Access.PUBLIC: {"anonymous", "administrator", "street_own", "street_other", "observer"},
    Access.SIGNED_IN: {"administrator", "street_own", "street_other", "observer"},
    Access.TICKETS: {"administrator", "street_own", "street_other"},
    Access.ADMIN: {"administrator"},
    # A load balancer's probe: anyone, signed in or not (tests/test_panel_health.py).
    Access.PROBE: {"anonymous", "administrator", "street_own", "street_other", "observer"},
}


# An entry of each section of the directory, of 海德街道 (street_own's street).
DIRECTORY_KEYS = {
    "areas": "jb-hd",
    "stations": "st-hd",
    "groups": "g-hd-1",
    "deputies": "d-wang-jianguo",
    "categories": "housing",
    "departments": "dept-urban",
    "routing": "0",
    "deadlines": "default",
    "calendar": "2027-01-01",
}
# Routes open to street staff for what is in their streets only.
WITHIN_STREET = {"directory_groups_bind_code"}


def expected(route: Route, who: Who) -> str:
    if who.name not in ALLOWED[route.access]:
        return "refused"
    scoped = route.name in WITHIN_STREET or any(
        key in route.path for key in ("{number}", "{id:", "{deputy_id:")
    )
    if scoped and who.name == "street_other":
        return "refused"  # another street's ticket, suggestion or deputy: as if not there
    return "allowed"


def directory_key(path: str) -> str:
    """A directory route's path with the key of an entry of its section."""
    if "{key:" not in path:
        return path
    slug = path.split("/")[2]
    return path.replace("{key:[A-Za-z0-9_.-]{1,64}}", DIRECTORY_KEYS[slug])


def outcome(method: str, status: int, location: str) -> str:
    """Refused: 403 or 404, or a page that sends to the log-in page. Allowed: the handler
    answered (a page, a redirect after the action, or its refusal of a bad form)."""
    if status in (403, 404) or (method == "GET" and location.startswith("/login")):
        return "refused"
    assert status in (200, 303, 400, 401), status
    return "allowed"


def test_every_route_of_the_application_is_in_the_table(panel_app: web.Application):
    names = {route.name for route in panel_app.router.routes() if route.name}
    assert names == set(panel_app[ACCESS])
    assert {route.name for route in ROUTES} | {"static"} == names


async def test_the_matrix(panel_app: web.Application, panel_sessions, clock, desk):
    for who in PEOPLE[1:]:
        await make_staff(panel_sessions, clock, who.name, who.role, who.streets)
    target = await make_staff(panel_sessions, clock, "target", StaffRole.OBSERVER)
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")
    async with panel_sessions.begin() as session:
        admin = await session.scalar(
            select(StaffMember).where(StaffMember.login == "administrator")
        )
        token = await staff.invite(session, admin, StaffRole.OBSERVER, [], clock.now())
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        suggestion = Suggestion(
            title="路灯",
            department="城管局",
            text="建议统一更换路灯",
            due=clock.now().date(),
            created_by=admin.id,
            created_at=clock.now(),
            tickets=[ticket],
        )
        session.add(suggestion)
        station = await session.scalar(select(Station).where(Station.code == "st-hd"))
        reception = await ReceptionDesk(clock, desk.catalogs, desk.timezone).create(
            session,
            ReceptionPlan(
                kind=ReceptionKind.NIGHT,
                station=station,
                group=await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-1")),
                starts_at=clock.now() + timedelta(days=5),
                ends_at=clock.now() + timedelta(days=5, hours=2),
                capacity=10,
                place="海德路88号",
            ),
        )
        filters = {}
        for who in PEOPLE[1:]:
            member = await session.scalar(select(StaffMember).where(StaffMember.login == who.name))
            saved = SavedFilter(staff_id=member.id, name="mine", query="flag=overdue")
            session.add(saved)
            await session.flush()
            filters[who.name] = saved.id
    async with panel_sessions() as session:
        deputy = await session.scalar(select(Deputy.id).where(Deputy.code == "d-wang-jianguo"))
    values = {"number": number, "token": token, "staff_id": str(target)}
    results, wrong = 0, []
    browsers: dict[str, Browser] = {}
    for who in PEOPLE:
        browsers[who.name] = await browser(panel_app)
        await (
            browsers[who.name].log_in(who.name) if who.role else browsers[who.name].get("/login")
        )
    try:
        for route in ROUTES:
            for who in PEOPLE:
                client = browsers[who.name]
                path = route.path.replace("{filter_id:\\d{1,9}}", str(filters.get(who.name, 1)))
                path = path.replace("{staff_id:\\d{1,9}}", values["staff_id"])
                sample = reception.reception if path.startswith("/receptions/") else suggestion
                path = path.replace("{id:\\d{1,9}}", str(sample.id))
                path = path.replace("{deputy_id:\\d{1,9}}", str(deputy))
                path = path.replace("{code:[A-Za-z0-9_.-]{1,64}}", "st-hd")
                path = directory_key(path).format(**values)
                if route.method == "GET":
                    response = await client.get(path, follow=False)
                else:
                    response = await client.post(path, {})
                location = response.headers.get("Location", "")
                got = outcome(route.method, response.status, location)
                results += 1
                if got != expected(route, who):
                    wrong.append(f"{route.method} {route.path} as {who.name}: {got}")
                if route.name == "logout" and who.role:
                    await client.log_in(who.name)
                else:
                    await client.get("/login")  # the token of a page, for the next form
    finally:
        for client in browsers.values():
            await client.close()
    assert wrong == []
    assert results == len(ROUTES) * len(PEOPLE)


@pytest.mark.parametrize("who", ["street_other", "observer"])
async def test_a_refused_action_changes_nothing(panel_app, panel_sessions, clock, desk, who):
    role = StaffRole.STREET if who == "street_other" else StaffRole.OBSERVER
    await make_staff(panel_sessions, clock, who, role, ("jb-wx",) if who == "street_other" else ())
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")
    client = await browser(panel_app)
    await client.log_in(who)
    response = await client.post(f"/tickets/{number}/escalate", {"kind": "staff"})
    assert response.status in (403, 404)
    inbox = await client.get(f"/inbox?q={number}")
    assert f'/tickets/{number}"' not in await inbox.text()
    await client.close()
    async with panel_sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.status == "assigned"


def test_the_public_routes_are_exactly_these():
    """Opening a route to anyone is a decision made here, not by accident in the table."""
    public = {route.name for route in ROUTES if route.access == Access.PUBLIC}
    assert public == {
        "login",
        "login_submit",
        "invitation",
        "invitation_accept",
        "language",
        "public",  # 五公开: the list of stations
        "public_station",  # 五公开: a station's results, no personal data
    }


def test_the_probes_are_exactly_these():
    """Routes that skip the session altogether: a monitor's checks, saying nothing personal."""
    assert {route.name for route in ROUTES if route.access == Access.PROBE} == {
        "healthz",
        "readyz",
    }
