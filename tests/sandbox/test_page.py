"""The sandbox page's calls, without a browser: what the page is given, acting as the fake's
users, the polite refusals, the clock, and the feed as server-sent events."""

import json
import re
from datetime import timedelta

from aiohttp import ClientSession, CookieJar, FormData

from bot.fake_telegram import tiny_png
from bot.runners.sandbox import Sandbox

HEXIANG_GROUP = -1001000000101
HAIDE_STAFF_CHAT = -1001000000901


async def test_the_page_is_bilingual_and_says_it_is_a_sandbox(sandbox: Sandbox):
    async with ClientSession() as http:
        async with http.get(sandbox.page_url) as response:
            chinese = await response.text()
        async with http.get(sandbox.page_url, params={"lang": "en"}) as response:
            english = await response.text()
    assert '<html lang="zh-Hans">' in chinese
    assert "这是演示沙盒，不会向Telegram发送任何消息。" in chinese
    assert '<html lang="en">' in english
    assert "This is a sandbox: no message goes to Telegram." in english
    assert "/static/sandbox.js" in english


async def test_the_world_holds_the_directory_s_chats_and_demo_residents(sandbox: Sandbox):
    async with ClientSession() as http, http.get(f"{sandbox.page_url}api/world") as response:
        world = await response.json()
    titles = [group["title"] for group in world["groups"]]
    assert titles[0] == "海德街道第一代表小组"
    assert "海德街道人大工委" in titles  # the street's staff chat hears of overdue tickets
    first = world["groups"][0]
    assert [m["first_name"] for m in first["members"]][:3] == ["王建国", "陈丽", "黄伟"]
    forums = [group["title"] for group in world["groups"] if group["is_forum"]]
    assert forums == ["海德街道第二代表小组"]
    assert [r["language_code"] for r in world["residents"]] == ["zh-hans", "zh-hans", "en"]


async def test_a_resident_writes_and_the_bot_answers_in_the_feed(sandbox: Sandbox):
    resident = sandbox.world.residents[2]  # Alex, whose app speaks English
    url = f"{sandbox.page_url}api/chats/{resident.id}"
    async with ClientSession() as http:
        async with http.post(
            f"{url}/messages", json={"user_id": resident.id, "text": "/start"}
        ) as response:
            assert response.status == 200
            sent = await response.json()
        assert sent["text"] == "/start"
        fake = sandbox.world.fake
        # The greeting, in English without asking, then the question of the area.
        await fake.wait_for(lambda: len(fake.bot_messages(resident.id)) == 2)
        async with http.get(url) as response:
            chat = await response.json()
    greeting = chat["messages"][-2]
    assert greeting["from"]["id"] == fake.bot.id
    assert greeting["text"].startswith("Hello, ")
    buttons = [b["text"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["简体中文"]  # the one small button: the other language
    assert chat["number"] == fake.feed.last_number
    assert chat["topics"] == []


async def test_a_deputy_presses_and_replies_only_where_telegram_would_let_them(sandbox: Sandbox):
    fake = sandbox.world.fake
    group_url = f"{sandbox.page_url}api/chats/{HEXIANG_GROUP}"
    async with ClientSession() as http:
        async with http.post(
            f"{group_url}/presses",
            json={"user_id": 7000000101, "message_id": 999, "data": "x"},
            headers={"X-Sandbox-Locale": "zh_Hans"},
        ) as response:
            assert response.status == 400
            refusal = await response.json()
        assert refusal["error"].startswith("操作未成功：")
        async with http.post(
            f"{group_url}/messages",
            json={"user_id": 7000000103, "text": "你好"},  # 周明 is of another group
            headers={"X-Sandbox-Locale": "en"},
        ) as response:
            assert response.status == 400
            refusal = await response.json()
        assert refusal["error"].startswith("That did not work: ")
        assert "not a member" in refusal["error"]
        async with http.post(
            f"{group_url}/messages",
            json={"user_id": 7000000101, "text": "   "},
            headers={"X-Sandbox-Locale": "zh_Hans"},
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "请先输入内容。"
    assert fake.messages(HEXIANG_GROUP) == []


async def test_a_new_resident_speaks_the_language_chosen(sandbox: Sandbox):
    async with ClientSession() as http:
        async with http.post(
            f"{sandbox.page_url}api/residents", json={"name": "Maria", "locale": "en"}
        ) as response:
            resident = await response.json()
        async with http.post(
            f"{sandbox.page_url}api/residents",
            json={"name": " "},
            headers={"X-Sandbox-Locale": "en"},
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "Please give the resident a name."
    assert resident["first_name"] == "Maria"
    assert resident["language_code"] == "en"
    assert sandbox.world.residents[-1].id == resident["id"]


async def test_moving_the_clock_moves_the_bot_and_the_fake_together(sandbox: Sandbox):
    fake = sandbox.world.fake
    before = fake.clock()
    async with ClientSession() as http:
        async with http.post(f"{sandbox.page_url}api/clock", json={"by": "week"}) as response:
            moved = await response.json()
        async with http.post(
            f"{sandbox.page_url}api/clock", json={"by": "day", "locale": "en"}
        ) as response:
            english = await response.json()
        async with http.post(f"{sandbox.page_url}api/clock", json={"by": "year"}) as response:
            assert response.status == 400
    assert sandbox.clock.ahead == timedelta(days=8)
    assert fake.clock() - before >= timedelta(days=8).total_seconds()
    assert "星期" in moved["shown"]
    assert any(
        day in english["shown"]
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )


async def test_the_feed_streams_as_server_sent_events(sandbox: Sandbox):
    resident = sandbox.world.residents[0]
    fake = sandbox.world.fake
    seen = fake.feed.last_number
    url = f"{sandbox.page_url}api/events?after={seen}"
    async with ClientSession() as http:
        async with http.get(f"{sandbox.page_url}api/world") as response:
            run = (await response.json())["run"]
        async with http.get(url) as events:
            assert events.headers["Content-Type"] == "text/event-stream"
            await resident.send_text("路灯坏了")
            lines = []
            while len(lines) < 4:
                line = (await events.content.readline()).decode().strip()
                if line:
                    lines.append(line)
    # First the sandbox's run: a page of an earlier run (whose numbers mean nothing now) reloads.
    assert lines[:2] == ["event: run", f"data: {run}"]
    assert lines[2] == f"id: {seen + 1}"
    change = json.loads(lines[3].removeprefix("data: "))
    assert change["kind"] == "message"
    assert change["chat_id"] == resident.id
    assert change["message"]["text"] == "路灯坏了"


async def test_each_run_of_the_sandbox_has_its_own_id(sandbox: Sandbox, tmp_path):
    from bot.runners.sandbox import start_sandbox
    from bot.settings import Settings

    again, _ = await start_sandbox(Settings(), "127.0.0.1", 0, tmp_path / "again.sqlite3")
    try:
        async with ClientSession() as http:
            runs = []
            for running in (sandbox, again):
                async with http.get(running.page_url) as response:
                    page = await response.text()
                async with http.get(f"{running.page_url}api/world") as response:
                    runs.append((await response.json())["run"])
                assert f'"run": "{runs[-1]}"' in page  # the page learns it when it loads
    finally:
        await again.stop()
    assert runs[0] and runs[1] and runs[0] != runs[1]


async def test_files_are_served_by_their_id(sandbox: Sandbox):

    resident = sandbox.world.residents[0]
    sent = await resident.send_photo(tiny_png(3, 2))
    file_id = sent["photo"][-1]["file_id"]
    async with ClientSession() as http:
        async with http.get(f"{sandbox.page_url}files/{file_id}") as response:
            assert await response.read() == tiny_png(3, 2)
        async with http.get(f"{sandbox.page_url}files/nothing") as response:
            assert response.status == 404


async def test_a_call_that_is_not_json_is_refused_politely(sandbox: Sandbox):
    resident = sandbox.world.residents[0]
    async with ClientSession() as http:
        async with http.post(
            f"{sandbox.page_url}api/chats/{resident.id}/messages",
            data="not json",
            headers={"X-Sandbox-Locale": "en", "Content-Type": "application/json"},
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "Please write something first."
        async with http.post(f"{sandbox.page_url}api/clock", json=["day"]) as response:
            assert response.status == 400
            assert (await response.json())["error"].startswith("操作未成功：")
    assert sandbox.clock.ahead.total_seconds() == 0


async def test_other_websites_cannot_act_in_the_sandbox(sandbox: Sandbox):
    """A cross-site form can send text/plain or a form without asking first; JSON it cannot,
    and a browser names the origin of a cross-site call."""
    resident = sandbox.world.residents[0]
    messages = f"{sandbox.page_url}api/chats/{resident.id}/messages"
    sent = json.dumps({"user_id": resident.id, "text": "/start"})
    before = len(sandbox.world.fake.messages(resident.id))
    async with ClientSession() as http:
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            async with http.post(
                messages, data=sent, headers={"Content-Type": content_type}
            ) as response:
                assert response.status == 415
                assert "application/json" in (await response.json())["error"]
        async with http.post(
            f"{sandbox.page_url}api/clock",
            data='{"by": "week"}',
            headers={"Content-Type": "text/plain", "X-Sandbox-Locale": "en"},
        ) as response:
            assert response.status == 415
            assert (await response.json())["error"].startswith("That did not work")
        for origin in ("https://elsewhere.example", "null"):
            async with http.post(
                f"{sandbox.page_url}api/clock", json={"by": "week"}, headers={"Origin": origin}
            ) as response:
                assert response.status == 403
        form = FormData({"user_id": str(resident.id), "caption": "x"})
        form.add_field("photo", tiny_png(3, 2), filename="a.png", content_type="image/png")
        async with http.post(
            f"{sandbox.page_url}api/chats/{resident.id}/photos",
            data=form,
            headers={"Origin": "https://elsewhere.example"},
        ) as response:
            assert response.status == 403
        assert sandbox.clock.ahead.total_seconds() == 0
        assert len(sandbox.world.fake.messages(resident.id)) == before
        # The page itself, from its own origin, still acts.
        own = sandbox.page_url.rstrip("/")
        async with http.post(
            f"{sandbox.page_url}api/clock", json={"by": "day"}, headers={"Origin": own}
        ) as response:
            assert response.status == 200
    assert sandbox.clock.ahead == timedelta(days=1)


async def test_the_staff_panel_is_beside_the_page_with_an_administrator_of_its_own(
    sandbox: Sandbox,
):
    panel = sandbox.panel
    assert panel.login == "admin"
    assert len(panel.password) >= 10
    # Cookies of an address such as 127.0.0.1 are kept only by an "unsafe" jar.
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        async with http.get(sandbox.page_url) as response:
            page = await response.text()
        assert f'href="{panel.url}"' in page
        assert f"（管理员账号admin，密码{panel.password}）" in page
        async with http.get(panel.url) as response:
            assert response.status == 200
            token = re.search(r'name="csrf" value="([^"]+)"', await response.text())
        assert token
        form = {"login": panel.login, "password": panel.password, "csrf": token.group(1)}
        async with http.post(panel.url, data=form, allow_redirects=False) as response:
            assert response.status == 303  # signed in: on to the inbox
        wrong = {**form, "password": "not the password"}
        async with http.post(panel.url, data=wrong, allow_redirects=False) as response:
            assert response.status != 303


async def test_places_an_album_and_ones_own_contact(sandbox: Sandbox):
    resident = sandbox.world.residents[2]
    fake = sandbox.world.fake
    url = f"{sandbox.page_url}api/chats/{resident.id}"
    async with ClientSession() as http:
        async with http.get(f"{sandbox.page_url}api/world", params={"lang": "en"}) as response:
            places = (await response.json())["places"]
        assert places[0]["name"] == "和祥社区"
        assert places[-1]["name"] == "At sea (outside every area)"
        form = FormData()
        form.add_field("user_id", str(resident.id))
        for height in (10, 20):
            form.add_field("photo", tiny_png(10, height), filename="p.png")
        async with http.post(f"{url}/albums", data=form) as response:
            assert response.status == 200
            items = await response.json()
        assert len(items) == 2 and items[0]["media_group_id"] == items[1]["media_group_id"]
        lonely = FormData()
        lonely.add_field("user_id", str(resident.id))
        lonely.add_field("photo", tiny_png(), filename="p.png")
        async with http.post(f"{url}/albums", data=lonely) as response:
            assert response.status == 400  # one photo is no album: the page sends it as one
        async with http.post(f"{url}/contacts", json={"user_id": resident.id}) as response:
            assert response.status == 200
            shared = await response.json()
    # No button asked for it: shared from the attachment menu, still the resident's own.
    assert shared["contact"]["user_id"] == resident.id
    kept = "Thank you, your phone number is kept."
    await fake.wait_for(
        lambda: any(kept in m.get("text", "") for m in fake.bot_messages(resident.id))
    )
