"""The sandbox in a real browser (Debian's headless chromium, driven by Playwright): a resident
submits an opinion with a photo, a deputy accepts it and replies in the group view, the resident
sees the reply live and rates it; the clock is moved and a deadline warning appears in the group.
A resident shares places from the demo city's list, sends two photos at once (drawn as one
album) and their own phone number with the bot's contact button.

Each step leaves a screenshot under test-artifacts/sandbox/ (not committed; the README shows a
few chosen ones kept under docs/). Without chromium the tests are skipped, saying how to install
it; with CI=true they fail instead.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.fake_telegram import tiny_png
from bot.runners.sandbox import Sandbox, _free_port, start_sandbox
from bot.settings import Settings
from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, require_chromium

SCREENSHOTS = ARTIFACTS / "sandbox"
WAIT_MS = 20_000  # how long a step may take to show (the supervisor looks every 2 s)
OPINION = "和祥社区3号楼门口的路灯坏了两个星期，晚上很黑，老人出门不安全。"
ANSWER = "您好，已联系街道城管科，本周五前修好。"
SECOND_OPINION = "和祥社区东门的垃圾桶每天溢出，请增加清运次数。"

require_chromium()

from aiogram import Bot  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import (  # noqa: E402
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from playwright.async_api import Locator, Page, Route, async_playwright, expect  # noqa: E402

from bot.sandbox.world import BOT_TOKEN, phone_of  # noqa: E402

expect.set_options(timeout=WAIT_MS)


@pytest.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(sandbox.page_url)
        await expect(page.locator("body[data-ready=true]")).to_be_attached()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        await browser.close()
    assert errors == [], "the page's script failed"


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def bot_message(page: Page, chat: str, containing: str):
    """The newest message of the bot in the chat that contains the text."""
    messages = page.get_by_test_id(chat).locator(".message.incoming", has_text=containing)
    return messages.last


async def press(page: Page, chat: str, containing: str, label: str) -> None:
    message = bot_message(page, chat, containing)
    await message.locator(".inline-keyboard").get_by_role("button", name=label, exact=True).click()


# Questions the bot may ask on the way (depending on its version), and the answer a resident
# in a hurry gives.
ON_THE_WAY = {
    "请选择语言": "简体中文",
    "请选择意见建议的类别": "其他或不确定",
    "是否向人大代表公开您的姓名": "不公开，直接提交",
}


async def go_on_until(page: Page, arrived: Callable[[], Awaitable[bool]]) -> None:
    """Answer each question of ON_THE_WAY the bot newly asks, until `arrived()`."""
    chat = page.get_by_test_id("resident-chat")
    asked = {q: chat.locator(".message.incoming", has_text=q) for q in ON_THE_WAY}
    seen = {question: await questions.count() for question, questions in asked.items()}
    async with asyncio.timeout(WAIT_MS / 1000):
        while not await arrived():
            for question, questions in asked.items():
                if await questions.count() > seen[question]:
                    seen[question] += 1
                    keyboard = questions.last.locator(".inline-keyboard")
                    answer = ON_THE_WAY[question]
                    await keyboard.get_by_role("button", name=answer, exact=True).click()
            await asyncio.sleep(0.1)


async def submit_opinion(page: Page, *parts: str) -> str:
    chat = page.get_by_test_id("resident-chat")
    receipts = chat.locator(".message.incoming", has_text="已收到。")
    before = await receipts.count()
    prompts = chat.locator(".message.incoming", has_text="已记下")
    prompted = await prompts.count()
    for part in parts:
        await page.get_by_test_id("resident-input").fill(part)
        await page.get_by_test_id("resident-send").click()
    # The prompt under the newest part (an older one loses its buttons once it is out).
    await expect(prompts).to_have_count(prompted + len(parts))
    await press(page, "resident-chat", "已记下", "提交")
    await go_on_until(page, lambda: _more(receipts, before))
    received = receipts.last
    number = re.search(r"A-\d{4}-\d{6}", await received.inner_text())
    assert number, await received.inner_text()
    return number.group(0)


async def _more(messages: Locator, than: int) -> bool:
    return await messages.count() > than


async def test_the_page_says_it_is_a_sandbox_in_both_languages(page: Page, sandbox: Sandbox):
    await expect(page.get_by_test_id("banner")).to_contain_text("这是演示沙盒")
    await page.get_by_test_id("language").select_option("en")
    await expect(page.get_by_test_id("banner")).to_contain_text("This is a sandbox")
    await expect(page.get_by_test_id("move-week")).to_have_text("+1 week")
    groups = page.get_by_test_id("group").locator("option")
    await expect(groups).to_have_count(len(sandbox.world.groups))


async def test_both_sides_of_the_loop_in_the_browser(page: Page, sandbox: Sandbox):
    resident = "resident-chat"
    await page.get_by_test_id("resident-input").fill("/start")
    await page.get_by_test_id("resident-send").click()
    picker = page.get_by_test_id(resident).locator(".message.incoming", has_text="请选择您所在的区")
    await go_on_until(page, lambda: _more(picker, 0))
    for step, place in (
        ("区（县）", "江滨区"),
        ("街道（乡镇）", "海德街道"),
        ("社区（村）", "和祥社区"),
    ):
        await press(page, resident, f"请选择您所在的{step}", place)
    await expect(
        bot_message(page, resident, "您所在的区域：江滨区 海德街道 和祥社区。")
    ).to_be_visible()

    # A photo of the broken lamp: drawn in the chat, and the bot answers it.
    await page.get_by_test_id("resident-photo").set_input_files(
        {"name": "lamp.png", "mimeType": "image/png", "buffer": tiny_png(40, 30)}
    )
    photo = page.get_by_test_id(resident).locator(".message.outgoing img.photo")
    await expect(photo).to_be_visible()
    answered = page.get_by_test_id(resident).locator(".message.outgoing:has(img.photo) ~ .incoming")
    await expect(answered.first).to_be_visible()
    number = await submit_opinion(page, OPINION)
    await shot(page, "01-resident-submitted")

    # The deputy group of 和祥社区 gets the card; 王建国 (the first deputy) accepts it.
    group = "group-chat"
    await expect(page.get_by_test_id("group")).to_have_value("-1001000000101")
    await expect(page.get_by_test_id("deputy").locator("option:checked")).to_have_text("王建国")
    # The card (the copy of the photo that follows it names the number too).
    cards = page.get_by_test_id(group).locator(".message.incoming", has_text="状态：")
    card = cards.filter(has_text=f"意见建议（{number}）").last
    await expect(card).to_contain_text("状态：已分派")
    await expect(bot_message(page, group, "附件1/1").locator("img.photo")).to_be_visible()
    await card.locator(".inline-keyboard").get_by_role("button", name="接单").click()
    await expect(bot_message(page, resident, "办理状态：已受理。")).to_be_visible()
    await expect(card).to_contain_text("状态：已受理（王建国代表）")
    await shot(page, "02-deputy-accepted")

    # He replies to the card; the resident sees the answer without reloading.
    await card.locator(".reply-action").click()
    await page.get_by_test_id("group-input").fill(ANSWER)
    await page.get_by_test_id("group-send").click()
    answer = bot_message(page, resident, ANSWER)
    await expect(answer).to_contain_text("王建国代表")
    await expect(card).to_contain_text("状态：已答复（王建国代表）")
    await shot(page, "03-resident-sees-the-answer")

    # He closes it; the resident is asked to rate, and rates.
    await card.locator(".inline-keyboard").get_by_role("button", name="已办结").click()
    await press(page, resident, "请您对办理情况进行满意度测评", "满意")
    await expect(bot_message(page, resident, "感谢您的评价：满意。")).to_be_visible()
    await shot(page, "04-resident-rated")

    # A second opinion nobody accepts; a week later the group is told its deadline passed.
    second = await submit_opinion(page, SECOND_OPINION)
    await expect(bot_message(page, group, f"意见建议（{second}）")).to_be_visible()
    before = await page.get_by_test_id("clock").inner_text()
    await page.get_by_test_id("move-week").click()
    await expect(page.get_by_test_id("clock")).not_to_have_text(before)
    overdue = bot_message(page, group, f"意见建议（{second}）已超过受理期限")
    await expect(overdue).to_contain_text("请尽快受理。")
    await overdue.scroll_into_view_if_needed()
    await shot(page, "05-deadline-passed")


async def test_the_page_draws_what_the_bot_sends_as_telegram_would(page: Page, sandbox: Sandbox):
    """Whatever the bot sends is drawn from the Bot API's own objects: formatting from the
    entities, photos and documents, a reply keyboard whose location button shares a point."""
    resident = sandbox.world.residents[0]
    async with Bot(
        BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.api_url))
    ) as bot:
        await bot.send_message(
            resident.id,
            '<b>粗体</b> <i>斜体</i> <a href="https://example.org/">链接</a> <code>代码</code>'
            " &lt;不是标签&gt;",
            parse_mode="HTML",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text="发送位置", request_location=True)]],
                resize_keyboard=True,
            ),
        )
        await bot.send_photo(
            resident.id, BufferedInputFile(tiny_png(20, 10), "photo.png"), caption="照片说明"
        )
        await bot.send_document(resident.id, BufferedInputFile(b"%PDF-1.4", "通知.pdf"))
    chat = page.get_by_test_id("resident-chat")
    formatted = chat.locator(".message.incoming", has_text="粗体").last
    await expect(formatted.locator("b")).to_have_text("粗体")
    await expect(formatted.locator("i")).to_have_text("斜体")
    await expect(formatted.locator("a")).to_have_attribute("href", "https://example.org/")
    await expect(formatted.locator("code")).to_have_text("代码")
    await expect(formatted).to_contain_text("<不是标签>")
    photo = chat.locator(".message.incoming", has_text="照片说明").last
    await expect(photo.locator("img.photo")).to_be_visible()
    await expect(chat.locator(".message.incoming a.document")).to_contain_text("通知.pdf")

    await page.get_by_test_id("resident-keyboard").get_by_role("button", name="发送位置").click()
    picker = page.get_by_test_id("location-picker")
    await expect(picker).to_be_visible()
    await picker.get_by_label("纬度").fill("30.21")
    await picker.get_by_label("经度").fill("120.21")
    await picker.get_by_role("button", name="发送位置").click()
    await expect(chat.locator(".message.outgoing .location").last).to_contain_text(
        "30.21000, 120.21000"
    )
    await shot(page, "06-formatting-media-keyboard")

    # As with the app's attachment menu, a location can be shared unasked too.
    await page.get_by_test_id("resident-location").click()
    await picker.get_by_label("纬度").fill("30.05")
    await picker.get_by_label("经度").fill("120.15")
    await picker.get_by_role("button", name="发送位置").click()
    await expect(chat.locator(".message.outgoing .location").last).to_contain_text(
        "30.05000, 120.15000"
    )


async def test_a_forum_group_shows_its_topics_and_a_deputy_writes_in_one(
    page: Page, sandbox: Sandbox
):
    forum = -1001000000102  # 海德街道第二代表小组, a forum in the sandbox
    async with Bot(
        BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.api_url))
    ) as bot:
        await page.get_by_test_id("group").select_option(str(forum))
        topic = await bot.create_forum_topic(forum, "意见建议（A-2026-000009）")
        await bot.send_message(forum, "话题里的卡片", message_thread_id=topic.message_thread_id)
        await bot.send_message(forum, "综合话题里的消息")
    topics = page.get_by_test_id("topic")
    await expect(topics.locator("option")).to_have_count(2)  # 综合 and the new topic
    await topics.select_option(str(topic.message_thread_id))
    chat = page.get_by_test_id("group-chat")
    await expect(chat).to_contain_text("话题里的卡片")
    await expect(chat).not_to_contain_text("综合话题里的消息")
    await expect(chat.locator(".message.service")).to_contain_text("已创建话题：意见建议")
    await page.get_by_test_id("group-input").fill("收到，本周内走访。")
    await page.get_by_test_id("group-send").click()
    await expect(chat.locator(".message.outgoing")).to_contain_text("收到，本周内走访。")
    written = sandbox.world.fake.messages(forum, topic.message_thread_id)[-1]
    assert written["text"] == "收到，本周内走访。"
    assert written["from"]["first_name"] == "周明"
    await shot(page, "07-forum-topic")


async def test_names_read_as_the_bot_writes_them(page: Page):
    """Chinese names family name first with no space, other names as given."""
    names = await page.evaluate(
        """[Render.fullName({first_name: "小红", last_name: "李"}),
            Render.fullName({first_name: "Anna", last_name: "Smith"}),
            Render.fullName({first_name: "王建国"})]"""
    )
    assert names == ["李小红", "Anna Smith", "王建国"]


async def test_the_bot_s_answer_to_a_press_shows_even_before_the_press_call_returns(
    page: Page, sandbox: Sandbox
):
    """The feed may bring the bot's answer before the page hears back from its own call: the
    page's call is held here until the answer is in the feed, and the alert still shows."""
    resident = sandbox.world.residents[0]
    fake = sandbox.world.fake
    async with Bot(
        BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.api_url))
    ) as bot:
        await bot.send_message(
            resident.id,
            "一张旧卡片",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="旧按钮", callback_data="stale:1")]]
            ),
        )
    answers: list[dict] = []

    def answer_of(query_id: str) -> bool:
        answers[:] = [
            change.data
            for change in fake.feed.since(0)
            if change.kind == "callback_answer" and change.data["query_id"] == query_id
        ]
        return bool(answers)

    async def after_the_answer(route: Route) -> None:
        response = await route.fetch()
        query_id = (await response.json())["query_id"]
        await fake.wait_for(lambda: answer_of(query_id), WAIT_MS / 1000)
        await route.fulfill(response=response)

    await page.route("**/presses", after_the_answer)
    await press(page, "resident-chat", "一张旧卡片", "旧按钮")
    await expect(page.locator("#toast")).to_be_visible()
    assert answers and answers[0]["text"], "the bot answers a stale button with a notice"
    await expect(page.locator("#toast")).to_have_text(answers[0]["text"])


async def test_a_page_of_an_earlier_run_reloads_when_the_sandbox_starts_again(tmp_path):
    """After a restart the feed counts from 1 again: the page learns of the new run and
    reloads rather than waiting, looking live, for changes numbered after its old ones."""
    first, _ = await start_sandbox(Settings(), "127.0.0.1", 0, tmp_path / "first.sqlite3")
    port = int(first.page_url.rstrip("/").rsplit(":", 1)[1])
    again = None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page = await browser.new_page()
            await page.goto(first.page_url)
            await expect(page.locator("body[data-ready=true]")).to_be_attached()
            old_run = await page.evaluate("boot.run")
            await first.stop()
            again, _ = await start_sandbox(
                Settings(),
                "127.0.0.1",
                port,
                tmp_path / "again.sqlite3",
                panel_port=_free_port("127.0.0.1"),
            )
            await page.wait_for_function(
                f"typeof boot !== 'undefined' && boot.run !== {old_run!r}", timeout=WAIT_MS
            )
            await expect(page.locator("body[data-ready=true]")).to_be_attached()
        finally:
            await browser.close()
            if again is not None:
                await again.stop()


RESIDENT = "resident-chat"
GROUP = "group-chat"


async def share_place(page: Page, place: str) -> None:
    await page.get_by_test_id("resident-location").click()
    picker = page.get_by_test_id("location-picker")
    await picker.get_by_test_id("location-place").select_option(label=place)
    await picker.get_by_role("button", name="发送位置").click()


async def test_places_an_album_and_the_phone_number_from_the_page(page: Page, sandbox: Sandbox):
    chat = page.get_by_test_id(RESIDENT)
    await page.get_by_test_id("resident-input").fill("/start")
    await page.get_by_test_id("resident-send").click()
    await expect(bot_message(page, RESIDENT, "请选择您所在的区")).to_be_visible()

    # At sea first: outside every area, the bot says so; then 和祥社区 from the list.
    await share_place(page, "海上（不在任何区域内）")
    await expect(bot_message(page, RESIDENT, "该位置不在本平台服务的区域内")).to_be_visible()
    await share_place(page, "和祥社区")
    await expect(
        bot_message(page, RESIDENT, "您所在的区域：江滨区 海德街道 和祥社区。")
    ).to_be_visible()

    await page.get_by_test_id("resident-input").fill(OPINION)
    await page.get_by_test_id("resident-send").click()
    await expect(bot_message(page, RESIDENT, "已记下（共1条")).to_be_visible()
    await page.get_by_test_id("resident-photo").set_input_files(
        [
            {"name": f"lamp{n}.png", "mimeType": "image/png", "buffer": tiny_png(40, 30 + n)}
            for n in (1, 2)
        ]
    )
    album = chat.locator(".album.outgoing")
    await expect(album).to_have_count(1)
    await expect(album.locator(".message img.photo")).to_have_count(2)
    prompt = bot_message(page, RESIDENT, "含附件2个")
    await expect(prompt).to_contain_text("已记下（共2条")
    await shot(page, "07-album-in-a-draft")

    await press(page, RESIDENT, "含附件2个", "提交")
    await press(page, RESIDENT, "请选择意见建议的类别", "其他或不确定")
    await expect(bot_message(page, RESIDENT, "是否向人大代表公开您的姓名")).to_be_visible()
    keyboard = page.get_by_test_id("resident-keyboard")
    await keyboard.get_by_role("button", name="提供我的手机号码").click()
    await expect(bot_message(page, RESIDENT, "您的手机号码已保存")).to_be_visible()
    resident = sandbox.world.residents[0]
    await expect(chat.locator(".message.outgoing .contact").last).to_contain_text(
        phone_of(resident)
    )
    await press(page, RESIDENT, "是否向人大代表公开您的姓名", "公开我的姓名")
    received = bot_message(page, RESIDENT, "已收到。")
    await expect(received).to_contain_text("您的2个附件已一并转交。")
    await expect(received).to_contain_text("您的姓名和手机号码已向人大代表公开。")

    card = bot_message(page, GROUP, "状态：")
    await expect(card).to_contain_text(f"联系电话：{phone_of(resident)}")
    await expect(card).to_contain_text("附件2个（见下方）。")
    copies = page.get_by_test_id(GROUP).locator(".message.incoming:has(img.photo)")
    await expect(copies).to_have_count(2)
    await expect(copies.last).to_contain_text("附件2/2")
    await shot(page, "08-card-with-copies")
