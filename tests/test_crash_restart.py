"""The bot as a separate process, killed (SIGKILL) three times and restarted while 100
residents go through start → language → area → opinion → submit against the fake Bot API of
this test. Afterwards, from the fake's records and the database: every number a resident was
given exists exactly once; every ticket's card reached its group, none twice but in the
sender's documented case (killed between sending and recording); every update Telegram handed
out was handled; the log holds no traceback. The figures are printed (`pytest -s`)."""

import asyncio
import os
import random
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select, text

from bot.fake_telegram import FakeTelegram
from storage.db import open_database
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus, Ticket
from tests.support.harness import deputy_group_chats
from tests.support.processes import NO_PANEL, SETTINGS_VARIABLES

pytestmark = pytest.mark.slow

RESIDENTS = 100
KILLS = 3
STEP_SECONDS = 12  # a resident waits this long for an answer before acting again
NUMBER = re.compile(r"A-\d{4}-\d{6}")
OPINION = "小区3号楼门口的路灯坏了两个星期，晚上很黑，老人出门不安全。"
# One community of each deputy group's areas: the cards spread over the five group chats (each
# takes 20 a minute, Telegram's limit for a group).
PATHS = [
    ("江滨区", "海德街道", "和祥社区"),
    ("江滨区", "海德街道", "新桥社区"),
    ("江滨区", "望仙街道", "东门社区"),
    ("青山区", "南湖街道", "锦园社区"),
    ("青山区", "白沙镇", "石坎村"),
]


class BotProcess:
    """`python -m bot run` in a process of its own, its log appended to one file."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
        self.env = {**clean, **NO_PANEL, **env}
        self.cwd = cwd
        self.log = cwd / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=self.cwd, env=self.env, stderr=log
            )
        self.starts += 1

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 60)


class Resident:
    """A resident who acts like a person: when no answer comes, or the bot lost the draft,
    they try again (a new /start, or the opinion once more)."""

    def __init__(self, fake: FakeTelegram, user: Any, path: tuple[str, str, str]) -> None:
        self.fake = fake
        self.user = user
        self.path = path
        self.numbers: list[str] = []
        self.retries = 0
        self.missed: list[str] = []  # the answers that did not come, attempt by attempt

    def newest(self, containing: str, after: int) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in reversed(self.fake.bot_messages(self.user.id))
                if m["message_id"] > after and containing in m.get("text", "")
            ),
            None,
        )

    async def says(self, *containing: str, after: int = 0) -> dict[str, Any] | None:
        """The bot's newest message after `after` holding one of the texts, once it comes."""

        def found() -> dict[str, Any] | None:
            return next(
                (m for text in containing if (m := self.newest(text, after)) is not None), None
            )

        try:
            await self.fake.wait_for(lambda: found() is not None, timeout=STEP_SECONDS)
        except TimeoutError:
            return None
        return found()

    async def press(self, message: dict[str, Any], label: str) -> None:
        stored = self.fake._chats[self.user.id].messages[message["message_id"]]
        rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = {b["text"]: b["callback_data"] for row in rows for b in row}
        await self.user.press(stored, buttons[label])

    def last_id(self) -> int:
        messages = self.fake.messages(self.user.id)
        return messages[-1]["message_id"] if messages else 0

    async def register(self) -> bool:
        mark = self.last_id()
        await self.user.send_text("/start")
        # Someone who chose an area on an earlier try is asked to write instead.
        picker = await self.says("请选择您所在的区（县）", "请写下您的意见建议", after=mark)
        if picker is not None and "请写下您的意见建议" in picker["text"]:
            return True
        if picker is None:
            self.missed.append("greeting")
            return False
        district, street, community = self.path
        for label, next_prompt in (
            (district, "请选择您所在的街道（乡镇）"),
            (street, "请选择您所在的社区（村）"),
            (community, f"您所在的区域：{district} {street} {community}"),
        ):
            if picker is None:
                self.missed.append(f"picker before {label}")
                return False
            await self.press(picker, label)
            picker = await self.says(next_prompt, after=mark)
        if picker is None:
            self.missed.append("area chosen")
        return picker is not None

    async def submit(self) -> bool:
        mark = self.last_id()
        await self.user.send_text(OPINION)
        prompt = await self.says("已记下（共", after=mark)
        if prompt is None:
            self.missed.append("draft noted")
            return False
        await self.press(prompt, "提交")
        question = await self.says("请选择意见建议的类别", after=mark)
        if question is None:
            self.missed.append("topic question")
            return False
        await self.press(question, "其他或不确定")
        question = await self.says("是否向人大代表公开您的姓名", after=mark)
        if question is None:
            self.missed.append("name question")
            return False
        await self.press(question, "不公开，直接提交")
        confirmation = await self.says("已收到。", after=mark)
        if confirmation is None:
            self.missed.append("confirmation")
            return False
        self.numbers.extend(NUMBER.findall(confirmation["text"]))
        return True

    async def live(self) -> None:
        await asyncio.sleep(random.uniform(0, 3))  # not all in the same second
        for _ in range(5):
            if await self.register() and await self.submit():
                return
            self.retries += 1


async def what_waits(sessions: Any, redis_url: str | None, bot_id: int) -> dict[str, Any]:
    """For a report when something is stuck: the database's sessions and the locks in Redis."""
    found: dict[str, Any] = {}
    async with sessions() as session:
        if session.bind.dialect.name == "postgresql":
            rows = await session.execute(
                text(
                    "SELECT pid, state, wait_event_type, wait_event, "
                    "now() - xact_start AS open_for, left(query, 120) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            found["sessions"] = [tuple(map(str, row)) for row in rows]
    if redis_url is not None:
        client = aioredis.from_url(redis_url)
        found["locks"] = [
            (key, await client.pttl(key)) async for key in client.scan_iter(f"fsm:{bot_id}:*:lock")
        ]
        await client.aclose()
    return found


async def test_killed_three_times_the_bot_loses_nothing(
    database_url: str,
    redis_url: str | None,
    directory_loaded: None,
    tmp_path: Path,
):
    fake = FakeTelegram()
    bot_id = random.randrange(10**9, 2 * 10**9)  # its own Redis keys (fsm:<bot id>:…)
    fake.add_bot(token=f"{bot_id}:TEST-crash-restart", username="liaison_crash_bot")
    groups = deputy_group_chats(fake)
    base_url = await fake.start()
    bot = BotProcess(
        {
            "BOT_TOKEN": f"{bot_id}:TEST-crash-restart",
            "TELEGRAM_API_URL": base_url,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url or "",
            "AUTO_MIGRATE": "false",
            "OUTBOX_POLL_SECONDS": "0.5",
            "INBOUND_RETRY_SECONDS": "0.2",
            "LOG_LEVEL": "DEBUG",
            # 100 residents acting at once ask for more than Telegram's 30 messages a second,
            # which the bot would pace (answers too, bot.telegram.paced) while the residents'
            # patience runs out; this fake enforces no limits and this test is about crashes,
            # so the limit is out of the way (the pacing's own test: test_scale_out).
            "TELEGRAM_LIMIT_OVERALL": "10000/second",
        },
        tmp_path,
    )
    residents = [
        Resident(
            fake,
            fake.user(user_id=7_100_000 + n, first_name="小红", language_code="zh-hans"),
            PATHS[n % len(PATHS)],
        )
        for n in range(RESIDENTS)
    ]
    try:
        await bot.start()
        living = asyncio.gather(*(resident.live() for resident in residents))
        for kill in range(1, KILLS + 1):
            # Kill when the residents are a quarter, half, three quarters of the way through.
            await fake.wait_for(
                lambda kill=kill: len(fake.updates()) >= kill * RESIDENTS * 7 // (KILLS + 1),
                timeout=300,
            )
            await bot.kill()
            await asyncio.sleep(random.uniform(0, 1))
            await bot.start()
        await living

        async with open_database(database_url) as sessions:

            async def unsettled() -> dict[str, int]:
                async with sessions() as session:
                    pending_out = await session.scalar(
                        select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
                    )
                    pending_in = await session.scalar(
                        select(func.count()).where(InboundUpdate.status == InboundStatus.PENDING)
                    )
                left = {
                    "outbox rows pending": pending_out or 0,
                    "inbound updates pending": pending_in or 0,
                    "updates not confirmed to Telegram": len(fake.pending_updates()),
                }
                return {name: number for name, number in left.items() if number}

            deadline = asyncio.get_running_loop().time() + 120
            while (left_over := await unsettled()) and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.2)
            async with sessions() as session:
                stuck = [
                    (r.update_id, r.attempts, r.last_error, sorted(r.payload)[-1])
                    for r in await session.scalars(
                        select(InboundUpdate).where(InboundUpdate.status == InboundStatus.PENDING)
                    )
                ]
            if left_over:
                stuck.append(await what_waits(sessions, redis_url, bot_id))
            exit_status = await bot.stop()  # SIGTERM: a clean stop
            async with sessions() as session:
                tickets = Counter((await session.scalars(select(Ticket.number))).all())
                records = {
                    r.update_id: r.status for r in await session.scalars(select(InboundUpdate))
                }
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
        await fake.stop()
        if redis_url is not None:
            client = aioredis.from_url(redis_url)
            keys = [key async for key in client.scan_iter(f"fsm:{bot_id}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()

    confirmed = [number for resident in residents for number in resident.numbers]
    confirmed_at = {
        number: m["date"]
        for r in residents
        for m in fake.bot_messages(r.user.id)
        if "已收到。" in m.get("text", "")
        for number in NUMBER.findall(m["text"])
    }
    cards: dict[str, list[dict[str, Any]]] = {}
    for chat_id in groups:
        for message in fake.bot_messages(chat_id):
            found = re.match(r"意见建议（(A-\d{4}-\d{6})）", message.get("text", ""))
            if found:
                cards.setdefault(found[1], []).append(message)
    handed_out = {u["update_id"] for u in fake.updates()}
    never_handled = sorted(u for u in handed_out if records.get(u) != InboundStatus.DONE)
    log = bot.log.read_text(encoding="utf-8", errors="replace")
    late_cards = [
        n for n in confirmed_at if cards.get(n) and cards[n][0]["date"] - confirmed_at[n] > 30
    ]
    figures = {
        "bot starts": bot.starts,
        "residents with a number": sum(1 for r in residents if r.numbers),
        "residents who had to try again": sum(1 for r in residents if r.retries),
        "numbers confirmed": len(confirmed),
        "tickets": sum(tickets.values()),
        "tickets never confirmed to their resident": len(set(tickets) - set(confirmed)),
        "tickets without a card": sum(1 for n in tickets if n not in cards),
        "tickets with two cards or more": sum(1 for n in tickets if len(cards.get(n, [])) > 1),
        "cards later than 30 s after confirmation": len(late_cards),
        "updates handed out": len(handed_out),
        "updates never handled": len(never_handled),
        "tracebacks in the log": log.count("Traceback (most recent call last)"),
        **left_over,
    }
    missed = Counter(step for r in residents for step in r.missed)
    figures["answers that did not come, by step"] = dict(missed)  # type: ignore[assignment]
    print("\n" + "\n".join(f"  {name}: {value}" for name, value in figures.items()))

    assert bot.starts == KILLS + 1
    assert left_over == {}, stuck
    assert exit_status == 0
    assert all(tickets[number] == 1 for number in confirmed)
    assert len(confirmed) == len(set(confirmed))
    assert figures["tickets without a card"] == 0
    assert never_handled == []
    assert figures["tracebacks in the log"] == 0, log[-5000:]
    assert figures["residents with a number"] == RESIDENTS  # trying again, as people do
