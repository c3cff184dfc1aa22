"""The dashboard in a real browser (Debian's headless chromium, driven by Playwright): the
charts are drawn by the vendored ECharts, served by the panel itself, and the figures beside
them match the week counted by hand; then the public page of a station, without log-in. The
screenshots are the README's (docs/)."""

from aiohttp.test_utils import TestServer

from bot.settings import PROJECT_ROOT
from storage.models import StaffRole
from tests.support.browser import chromium_page, require_chromium
from tests.support.panel import PASSWORD, make_staff
from tests.support.reports import a_week_of_the_loop

require_chromium()

from playwright.async_api import expect  # noqa: E402

SCREENSHOT = PROJECT_ROOT / "docs" / "panel-dashboard.png"
PUBLIC_SCREENSHOT = PROJECT_ROOT / "docs" / "panel-public.png"


async def test_the_dashboard_draws_its_charts(panel_app, panel_sessions, desk, clock):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    server = TestServer(panel_app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    failures: list[str] = []
    try:
        async with chromium_page(width=1280, height=1000) as page:
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.on("requestfailed", lambda request: failures.append(request.url))
            await page.goto(f"{url}/login")
            await page.get_by_label("登录名", exact=True).fill("admin")
            await page.get_by_label("密码", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="登录", exact=True).click()
            await page.get_by_role("link", name="统计报表").click()
            await expect(page.get_by_role("heading", name="统计报表：全市")).to_be_visible()
            charts = page.locator(".chart[data-drawn=true] canvas")
            await expect(charts).to_have_count(4)
            box = await charts.first.bounding_box()
            assert box is not None and box["height"] > 100
            await expect(page.locator('[data-figure="received"]')).to_have_text("4")
            await expect(page.locator('[data-figure="median_answer"]')).to_have_text("2.0 天")
            await page.get_by_text("以表格查看").first.click()
            await expect(page.locator("table.trend-weeks tbody tr")).to_have_count(1)
            SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=SCREENSHOT, full_page=True)

            # The public results page of the same station, as anyone reads it.
            await page.goto(f"{url}/public/")
            await page.get_by_role("link", name="海德街道代表联络站").click()
            await expect(page.get_by_role("heading", name="近一年办理情况")).to_be_visible()
            await expect(page.locator('[data-figure="received"]')).to_have_text("3")
            await page.screenshot(path=PUBLIC_SCREENSHOT, full_page=True)
    finally:
        await server.close()
    assert failures == []  # no script error, nothing from another address
