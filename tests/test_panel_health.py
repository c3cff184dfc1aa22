"""/healthz and /readyz on the staff panel's own port, as on every HTTP process of the bot: a
load balancer or monitor asks without logging in, gets no session cookie, and reads nothing
but the state of the panel's database, Redis and schema."""

from aiohttp import web

from admin.keys import HEADS
from tests.support.panel import browser


async def test_a_monitor_reads_the_panels_health_without_logging_in(panel_app: web.Application):
    monitor = await browser(panel_app)
    try:
        alive = await monitor.get("/healthz", follow=False)
        assert alive.status == 200 and await alive.json() == {"status": "alive"}
        ready = await monitor.get("/readyz", follow=False)
        assert ready.status == 200 and await ready.json() == {"status": "ready"}
        assert "Set-Cookie" not in alive.headers and "Set-Cookie" not in ready.headers
        # The rest of the panel still asks for a log-in.
        home = await monitor.get("/", follow=False)
        assert home.status == 303 and home.headers["Location"].startswith("/login")
    finally:
        await monitor.client.close()


async def test_readyz_says_503_and_why_when_the_schema_is_not_the_expected_one(
    panel_app: web.Application,
):
    panel_app[HEADS] = "9999_not_yet"  # the code is newer than the database
    monitor = await browser(panel_app)
    try:
        ready = await monitor.get("/readyz", follow=False)
        body = await ready.json()
        assert ready.status == 503 and set(body["problems"]) == {"migrations"}
        assert "python -m bot migrate" in body["problems"]["migrations"]
        assert (await monitor.get("/healthz", follow=False)).status == 200
    finally:
        await monitor.client.close()
