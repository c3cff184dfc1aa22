"""The staff panel under test: its application on the test's database (and Redis), a browser-
like client that keeps cookies and sends the page's CSRF token, staff accounts and tickets."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientResponse, CookieJar
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import Application
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.core.staff import create_account
from bot.core.tickets import TicketDesk
from storage.models import Area, Resident, StaffRole

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """One person's browser: cookies kept, the CSRF token of the last page sent back."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        response = await self.client.get(path, allow_redirects=kwargs.pop("follow", True), **kwargs)
        found = response.content_type == "text/html" and CSRF.search(await response.text())
        if found:
            self.token = found.group(1)
        return response

    async def post(self, path: str, data: Any = None, csrf: bool = True) -> ClientResponse:
        form = list((data or {}).items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            form.append(("csrf", self.token))
        return await self.client.post(path, data=form, allow_redirects=False)

    async def log_in(self, login: str, password: str = PASSWORD) -> ClientResponse:
        await self.get("/login")
        response = await self.post("/login", {"login": login, "password": password})
        if response.status == 303:
            await self.get(response.headers["Location"])
        return response

    def session_cookie(self) -> str | None:
        cookie = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))
        morsel = cookie.get("panel_session")
        return morsel.value if morsel else None

    async def close(self) -> None:
        await self.client.close()


async def browser(app: Application) -> Browser:
    client = TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    return Browser(client)


async def make_staff(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    login: str,
    role: StaffRole,
    streets: tuple[str, ...] = (),
) -> int:
    async with sessions.begin() as session:
        ids = list(await session.scalars(select(Area.id).where(Area.code.in_(streets))))
        member = await create_account(
            session, login, f"{login}名", PASSWORD, role, clock.now(), ids
        )
        return member.id


async def make_ticket(
    sessions: async_sessionmaker[AsyncSession],
    desk: TicketDesk,
    area_code: str,
    text: str,
    name: str = "李小红",
    locale: str = "zh_Hans",
) -> str:
    """A resident of the area raises an opinion (routed as the bot would route it)."""
    async with sessions.begin() as session:
        area = await session.scalar(select(Area).where(Area.code == area_code))
        assert area is not None
        resident = Resident(
            display_name=name, locale=locale, area_id=area.id, created_at=desk.clock.now()
        )
        session.add(resident)
        await session.flush()
        key = f"test-{resident.id}"
        submission = await desk.submit_opinion(session, resident, text, key)
        return submission.ticket.number


@asynccontextmanager
async def served(app: Application) -> AsyncIterator[str]:
    """The panel served on a free port of this machine, for a real browser; its address."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
