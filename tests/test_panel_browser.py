"""The panel in a real browser (Debian's headless chromium, driven by Playwright) while the bot
runs against the fake Bot API: street staff log in, take a ticket from the inbox to concluded
— the resident hearing each step in Telegram — merge a duplicate, and escalate from the inbox
in bulk. Each step leaves a screenshot under test-artifacts/panel/ (not committed)."""

import re

from storage.models import StaffRole
from tests.support.browser import ARTIFACTS, chromium_page, require_chromium
from tests.support.harness import Harness
from tests.support.panel import PASSWORD, make_staff
from tests.support.stories import HAIDE_GROUP_2, OPINION, register_in_haide, submit

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

expect.set_options(timeout=15_000)
SCREENSHOTS = ARTIFACTS / "panel"
REASON = "该路段路灯改造已列入明年计划。"


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def number_in(message: dict) -> str:
    found = re.search(r"A-\d{4}-\d{6}", message["text"])
    assert found
    return found.group(0)


async def test_street_staff_clear_a_queue_in_the_browser(harness: Harness, panel_url: str):
    residents = [
        harness.fake.user(user_id=5501 + i, first_name="小红", language_code="zh-hans")
        for i in range(3)
    ]
    numbers = []
    for resident in residents:
        await register_in_haide(harness, resident)
        numbers.append(number_in(await submit(harness, resident, OPINION)))
    app = harness.app
    await make_staff(app.sessionmaker, app.clock, "li", StaffRole.STREET, ("jb-hd",))

    async with chromium_page() as page:
        await page.goto(f"{panel_url}/login")
        await page.get_by_label("登录名", exact=True).fill("li")
        await page.get_by_label("密码", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.get_by_role("heading", name="待办意见建议")).to_be_visible()
        await expect(page.get_by_role("link", name=numbers[0])).to_be_visible()
        await shot(page, "1-inbox")

        # Triage the first ticket to concluded.
        await page.get_by_role("link", name=numbers[0]).click()
        await expect(page.get_by_role("heading", name=f"意见建议（{numbers[0]}）")).to_be_visible()
        await page.locator('form[action$="/priority"] select').select_option("urgent")
        await page.get_by_role("button", name="设置优先级").click()
        await expect(page.get_by_text("优先级已设置。")).to_be_visible()
        await page.locator('form[action$="/assign"] select').select_option(
            label="海德街道第二代表小组"
        )
        await page.get_by_role("button", name="分派给该代表小组").click()
        await expect(page.get_by_text("代表小组已变更。")).to_be_visible()
        await harness.bot_says(residents[0].id, "海德街道第二代表小组")
        await harness.bot_says(HAIDE_GROUP_2, f"意见建议（{numbers[0]}）")
        await page.locator('form[action$="/reply"] textarea').fill("已转请第二代表小组办理。")
        await page.get_by_role("button", name="答复反映人").click()
        await expect(page.get_by_text("答复正在发送给反映人。")).to_be_visible()
        await harness.bot_says(residents[0].id, "已转请第二代表小组办理。")
        await page.locator('form[action$="/close"] input[name=reason]').fill(REASON)
        await page.get_by_role("button", name="办结", exact=True).click()
        await expect(page.get_by_text("该意见建议已办结。")).to_be_visible()
        await expect(page.locator("#status")).to_contain_text("已办结")
        await harness.bot_says(residents[0].id, REASON)
        await harness.bot_says(residents[0].id, "请您对办理情况进行满意度测评")
        await shot(page, "2-ticket-concluded")

        # A duplicate: the third ticket's page suggests the second; merge into it.
        await page.goto(f"{panel_url}/tickets/{numbers[2]}")
        similar = page.locator(".similar li", has_text=numbers[1])
        await expect(similar).to_be_visible()
        await shot(page, "3-similar")
        await similar.get_by_role("button", name="合并到此件").click()
        await expect(page.get_by_text("该意见建议已合并。")).to_be_visible()
        await harness.bot_says(residents[2].id, f"与{numbers[1]}")

        # Bulk: escalate the second as a suggestion during the recess, from the inbox.
        await page.goto(f"{panel_url}/inbox")
        await page.get_by_label(numbers[1], exact=True).check()
        await page.locator("input[name=action][value=escalate]").check()
        await page.locator("#bulk select[name=kind]").select_option("recess_suggestion")
        await page.get_by_role("button", name="执行").click()
        await expect(page.get_by_text("共1件，已完成1件。")).to_be_visible()
        await harness.bot_says(residents[1].id, "闭会期间意见建议")
        await shot(page, "4-bulk")

        # Log out: the inbox is closed again.
        await page.get_by_role("button", name="退出登录").click()
        await page.goto(f"{panel_url}/inbox")
        await expect(page.get_by_role("heading", name="登录")).to_be_visible()
