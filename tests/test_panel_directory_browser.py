"""The directory and receptions in a real browser (Debian's headless chromium, driven by
Playwright) while the bot runs against the fake Bot API: an administrator edits an area and a
routing rule, and the next opinion a resident submits in Telegram goes where the edited rule
says; street staff schedule a reception, and a resident who follows the station hears of it.
The area's and the reception's screenshots are the README's (docs/panel-directory.png,
docs/panel-reception.png)."""

import re

from bot.settings import PROJECT_ROOT
from storage.models import StaffRole
from tests.support.browser import ARTIFACTS, chromium_page, require_chromium
from tests.support.harness import Harness
from tests.support.panel import PASSWORD, make_staff
from tests.support.stories import HAIDE_GROUP_2, OPINION, register_in_haide, submit

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

expect.set_options(timeout=15_000)
SCREENSHOT = PROJECT_ROOT / "docs" / "panel-directory.png"
RECEPTION_SCREENSHOT = PROJECT_ROOT / "docs" / "panel-reception.png"


async def log_in(page: Page, url: str, login: str) -> None:
    await page.goto(f"{url}/login")
    await page.get_by_label("登录名", exact=True).fill(login)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()


async def test_an_edited_routing_rule_routes_the_next_opinion(harness: Harness, panel_url: str):
    app = harness.app
    await make_staff(app.sessionmaker, app.clock, "admin", StaffRole.ADMINISTRATOR)
    failures: list[str] = []
    async with chromium_page(width=1280, height=1000) as page:
        page.on("pageerror", lambda error: failures.append(str(error)))
        await log_in(page, panel_url, "admin")
        await page.get_by_role("link", name="组织目录").click()
        await expect(page.get_by_role("heading", name="组织目录：区域")).to_be_visible()
        await expect(page.locator("svg.map path")).to_have_count(15)

        # The street: its outline and those of its communities; renamed.
        await page.goto(f"{panel_url}/directory/areas/jb-hd")
        await expect(page.locator("svg.map path.part")).to_have_count(3)
        await page.get_by_label("英文名称").fill("Haide Subdistrict")
        await page.get_by_role("button", name="保存").click()
        await expect(page.get_by_text("已保存。")).to_be_visible()
        await expect(page.get_by_label("英文名称")).to_have_value("Haide Subdistrict")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=SCREENSHOT, full_page=True)

        # A wrong boundary is refused next to its field, and nothing changes.
        await page.get_by_label("边界（GeoJSON）").fill('{"type": "Polygon", "coordinates": []}')
        await page.get_by_role("button", name="保存").click()
        await expect(page.locator(".invalid .field-error")).to_contain_text("多边形没有坐标点")
        await page.screenshot(path=ARTIFACTS / "panel" / "directory-refused.png", full_page=True)

        # The second routing rule now sends everything from 和祥社区 to the second group.
        await page.get_by_role("link", name="分派规则").click()
        await page.locator("table.directory tbody tr").nth(1).get_by_role("link").click()
        await page.get_by_label("来自区域（含下级）").select_option("jb-hd-hx")
        await page.get_by_label("类别（不选则为任何类别）").select_option("")
        await page.get_by_role("button", name="保存").click()
        await expect(page.get_by_text("已保存。")).to_be_visible()

    resident = harness.fake.user(user_id=5701, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    received = await submit(harness, resident, OPINION)
    number = re.search(r"A-\d{4}-\d{6}", received["text"]).group(0)
    await harness.bot_says(HAIDE_GROUP_2, f"意见建议（{number}）")
    assert failures == []


async def test_street_staff_schedule_a_reception_and_a_follower_hears_of_it(
    harness: Harness, panel_url: str
):
    follower = harness.fake.user(user_id=5702, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, follower)
    await follower.send_text("/receptions")
    listing = await harness.bot_says(follower.id, "目前没有已安排的接待活动。")
    query = await harness.press(follower, listing, "关注海德街道代表联络站接待通知")
    await harness.fake.wait_for(lambda: query in harness.fake.callback_answers)
    app = harness.app
    await make_staff(app.sessionmaker, app.clock, "li", StaffRole.STREET, ("jb-hd",))
    async with chromium_page(width=1280, height=1000) as page:
        await log_in(page, panel_url, "li")
        await page.get_by_role("link", name="接待活动", exact=True).click()
        await page.get_by_role("link", name="安排接待活动").click()
        await page.get_by_label("接待形式").select_option("themed")
        await page.get_by_label("开始时间").fill("2026-12-03T14:30")
        await page.get_by_label("结束时间").fill("2026-12-03T16:30")
        await page.get_by_label("名额").fill("40")
        await page.get_by_label("值班代表", exact=True).select_option(
            ["d-wang-jianguo", "d-chen-li"]
        )
        await page.get_by_label("地点", exact=True).fill("海德路88号党群服务中心多功能厅")
        await page.get_by_label("主题", exact=True).fill("老旧小区加装电梯")
        await page.get_by_label("邀请部门").fill("区住房和城乡建设局")
        await page.get_by_role("button", name="安排", exact=True).click()
        await expect(page.get_by_text("接待活动已安排。")).to_be_visible()
        await expect(
            page.get_by_text("已通知的居民（已报名或关注本联络站）：1人。")
        ).to_be_visible()
        await page.screenshot(path=RECEPTION_SCREENSHOT, full_page=True)
    told = await harness.bot_says(follower.id, "您关注的联络站有新的接待活动：")
    assert "主题：老旧小区加装电梯" in told["text"]
    assert "12月3日（周四）14:30—16:30" in told["text"]
