"""Scale-out on this machine's PostgreSQL and Redis: two webhook processes behind a load
balancer, two senders and two supervisors, each `python -m bot <role>` in a process of its
own, fed through the fake Bot API in webhook mode.

1. Throughput: residents open the bot all at once, first through one webhook process, then
   through both; the updates handled a second are printed for each (`pytest -s`).
2. A mixed load (residents choosing their area and submitting, cards paced to five groups by
   both senders) while one webhook process and one sender are stopped with SIGTERM and
   started again, the fake Bot API refusing anything over Telegram's limits (a group's
   scaled down to 10 a minute): every update is handled once, every ticket has one card and
   its resident one confirmation, and no message at all meets a 429 — the handlers' answers
   and the senders' messages share one set of limits through Redis.
3. The supervisor is active in exactly one process; killed (SIGKILL), the other takes over,
   and no overdue ticket is announced twice.
"""

import asyncio
import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select, text

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from storage.db import open_database
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus, Ticket
from tests.support.harness import deputy_group_chats
from tests.support.processes import Balancer, BotProcess
from tests.test_crash_restart import NUMBER, PATHS, Resident, what_waits
from tests.test_webhook import free_port

pytestmark = pytest.mark.slow

BURST = 150  # residents opening the bot at once, in each throughput round
RESIDENTS = 40  # residents of the mixed load
OVERALL_PER_SECOND = 30  # Telegram's, shared through Redis by every process
GROUP_PER_MINUTE = 10  # scaled down from 20, so that the load fills some groups' minutes
PRIVATE_BURST = 3  # a person's own action answered by up to three messages in a second
STAFF_CHAT = -1001000000901  # 海德街道's staff chat, told of overdue tickets
OVERDUE = "已超过受理期限"


def busiest(times: list[float], window: float) -> int:
    """The most messages within any `window` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def metric(client: aiohttp.ClientSession, port: int, name: str) -> float | None:
    try:
        async with client.get(f"http://127.0.0.1:{port}/metrics") as answer:
            body = await answer.text()
    except aiohttp.ClientError:
        return None
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", body, re.MULTILINE)
    return float(found[1]) if found else None


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def unsettled(sessions: Any, fake: FakeTelegram) -> dict[str, Any]:
    """What is left: pending outbox rows and inbound updates, updates Telegram still holds."""
    async with sessions() as session:
        outbox = [
            (m.id, m.recipient_kind, m.recipient_id, m.attempts, m.last_error)
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
            )
        ]
        inbound = [
            (r.update_id, r.attempts, r.last_error)
            for r in await session.scalars(
                select(InboundUpdate).where(InboundUpdate.status != InboundStatus.DONE)
            )
        ]
    return {
        "outbox": outbox[:20],
        "inbound": inbound[:20],
        "at Telegram": fake.pending_updates()[:5],
    }


async def test_two_webhooks_two_senders_two_supervisors(
    backend: str, database_url: str, redis_url: str | None, directory_loaded: None, tmp_path: Path
):
    if backend == "sqlite":
        pytest.skip("several processes share PostgreSQL and Redis; SQLite runs one process")
    assert redis_url is not None
    fake = FakeTelegram(webhook_retry_delay=0.2)
    bot_id = random.randrange(10**9, 2 * 10**9)  # its own Redis keys
    token = f"{bot_id}:TEST-scale-out"
    fake.add_bot(token=token, username="liaison_scale_bot")
    groups = deputy_group_chats(fake)
    fake.group(STAFF_CHAT, "海德街道人大工委", [])
    api = await fake.start()
    balancer = Balancer()
    public = await balancer.start(free_port())
    webhook_ports = [free_port(), free_port()]
    status_ports = {"s1": free_port(), "s2": free_port(), "v1": free_port(), "v2": free_port()}
    common = {
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": api,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "OUTBOX_POLL_SECONDS": "0.5",
        "INBOUND_RETRY_SECONDS": "0.2",
        "TELEGRAM_LIMIT_OVERALL": f"{OVERALL_PER_SECOND}/second",
        "TELEGRAM_LIMIT_GROUP": f"{GROUP_PER_MINUTE}/minute",
        "TELEGRAM_LIMIT_PRIVATE_BURST": f"{PRIVATE_BURST}/second",
        "SUPERVISION_SWEEP_SECONDS": "1",
        "WEBHOOK_BASE_URL": public,
        "WEBHOOK_SECRET": "scale-out-secret",
        "LOG_FORMAT": "json",
    }
    webhooks = [
        BotProcess("webhook", f"w{n + 1}", {**common, "WEBHOOK_PORT": str(port)}, tmp_path)
        for n, port in enumerate(webhook_ports)
    ]
    senders = [
        BotProcess("sender", n, {**common, "STATUS_PORT": str(status_ports[n])}, tmp_path)
        for n in ("s1", "s2")
    ]
    supervisors = [
        BotProcess("supervisor", n, {**common, "STATUS_PORT": str(status_ports[n])}, tmp_path)
        for n in ("v1", "v2")
    ]
    everyone = [*webhooks, *senders, *supervisors]

    figures: dict[str, Any] = {}
    client = aiohttp.ClientSession()
    try:
        for process in everyone:
            await process.start()

        async def webhooks_ready() -> bool:
            for port in webhook_ports:
                try:
                    async with client.get(f"http://127.0.0.1:{port}/readyz") as answer:
                        if answer.status != 200:
                            return False
                except aiohttp.ClientError:
                    return False
            return fake._webhook is not None

        began = time.monotonic()
        await until(webhooks_ready, 300, "both webhook processes ready")
        print(f"\n  {time.monotonic() - began:.0f}s: both webhook processes ready")
        sessions_context = open_database(database_url)
        sessions = await sessions_context.__aenter__()

        async def handled(update_ids: set[int]) -> int:
            async with sessions() as session:
                return (
                    await session.scalar(
                        select(func.count()).where(
                            InboundUpdate.update_id.in_(update_ids),
                            InboundUpdate.status == InboundStatus.DONE,
                        )
                    )
                    or 0
                )

        # 1. Throughput: the same burst through one webhook process, then through two.
        for label, backends, first_user in (
            ("one webhook process", [f"http://127.0.0.1:{webhook_ports[0]}"], 7_500_000),
            ("two webhook processes", [f"http://127.0.0.1:{p}" for p in webhook_ports], 7_600_000),
        ):
            balancer.backends = backends
            known = {u["update_id"] for u in fake.updates()}
            started = time.monotonic()
            for n in range(BURST):
                user = fake.user(user_id=first_user + n, first_name="小红", language_code="zh-hans")
                await user.send_text("/start")
            burst = {u["update_id"] for u in fake.updates()} - known

            async def burst_handled(burst: set[int] = burst) -> bool:
                return await handled(burst) == len(burst)

            await until(burst_handled, 300, f"the burst through {label}")
            seconds = time.monotonic() - started
            figures[f"updates a second, {label}"] = round(len(burst) / seconds, 1)
            print(f"  {time.monotonic() - began:.0f}s: the burst through {label}")

        # 2. The mixed load, with a webhook process and a sender stopped and started again.
        balancer.backends = [f"http://127.0.0.1:{p}" for p in webhook_ports]
        # Telegram's limits from now on: 30 a second in all, a group's minute (scaled down);
        # a private chat takes a short burst, as Telegram's does in practice (the bot's answer
        # and the edit of its prompt come within the same second).
        flood = fake.enforce_limits(
            FakeLimits(
                overall=(OVERALL_PER_SECOND, 1.0),
                private_chat=(PRIVATE_BURST, 1.0),
                group=(GROUP_PER_MINUTE, 60.0),
            )
        )
        residents = [
            Resident(
                fake,
                fake.user(user_id=7_700_000 + n, first_name="小红", language_code="zh-hans"),
                PATHS[n % len(PATHS)],
            )
            for n in range(RESIDENTS)
        ]
        mark = len(fake.updates())
        living = asyncio.gather(*(resident.live() for resident in residents))
        await fake.wait_for(lambda: len(fake.updates()) - mark >= RESIDENTS * 3, timeout=300)
        for process in (webhooks[1], senders[0]):
            assert await process.stop() == 0  # SIGTERM in the middle of the load
        await asyncio.sleep(2)
        for process in (webhooks[1], senders[0]):
            await process.start()
        await living
        print(f"  {time.monotonic() - began:.0f}s: the residents are done")

        async def settled() -> bool:
            async with sessions() as session:
                pending_out = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
                pending_in = await session.scalar(
                    select(func.count()).where(InboundUpdate.status == InboundStatus.PENDING)
                )
            return not pending_out and not pending_in and not fake.pending_updates()

        try:
            await until(settled, 300, "the outbox and the inbound updates to settle")
        except AssertionError as stuck:
            waits = await what_waits(sessions, redis_url, bot_id)
            raise AssertionError(f"{stuck}: {await unsettled(sessions, fake)} {waits}") from None
        print(f"  {time.monotonic() - began:.0f}s: the mixed load settled")

        # 3. The supervisor: one active; killed, the other takes over; nothing said twice.
        async def active() -> list[str]:
            states = {
                n: await metric(client, status_ports[n], "liaison_supervisor_active")
                for n in ("v1", "v2")
            }
            return [n for n, state in states.items() if state == 1.0]

        async def one_active() -> bool:
            return len(await active()) == 1

        await until(one_active, 60, "one active supervisor")
        first_active = (await active())[0]
        figures["supervisors active before the kill"] = len(await active())
        async with sessions() as session:
            tickets = list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())
        first_batch, second_batch = tickets[:5], tickets[5:10]

        async def make_overdue(batch: list[Ticket]) -> None:
            async with sessions.begin() as session:
                await session.execute(
                    text(
                        "UPDATE tickets SET acknowledge_due = now() - interval '1 hour' "
                        "WHERE id = ANY(:ids)"
                    ),
                    {"ids": [t.id for t in batch]},
                )

        def overdue_notices(number: str) -> int:
            return sum(
                1
                for chat in groups
                for m in fake.bot_messages(chat)
                if OVERDUE in m.get("text", "") and number in m["text"]
            )

        await make_overdue(first_batch)
        await fake.wait_for(
            lambda: all(overdue_notices(t.number) for t in first_batch), timeout=120
        )
        victim = next(v for v in supervisors if v.name == first_active)
        survivor = next(v for v in supervisors if v is not victim)
        await victim.kill()
        killed_at = time.monotonic()

        async def taken_over() -> bool:
            return await active() == [survivor.name]

        await until(taken_over, 120, "the other supervisor to take over")
        figures["supervisor take-over after SIGKILL, seconds"] = round(
            time.monotonic() - killed_at, 1
        )
        await make_overdue(second_batch)
        await fake.wait_for(
            lambda: all(overdue_notices(t.number) for t in second_batch), timeout=120
        )
        await until(settled, 120, "the overdue notices to be sent")

        for process in everyone:
            if process.running:
                await process.stop()
        async with sessions() as session:
            records = {r.update_id: r.status for r in await session.scalars(select(InboundUpdate))}
            numbers = Counter((await session.scalars(select(Ticket.number))).all())
            failed_out = await session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED)
            )
        await sessions_context.__aexit__(None, None, None)
    finally:
        await client.close()
        for process in everyone:
            if process.running:
                await process.kill()
        await balancer.stop()
        await fake.stop()
        store = aioredis.from_url(redis_url)
        keys = [key async for key in store.scan_iter(f"fsm:{bot_id}:*")]
        if keys:
            await store.delete(*keys)
        await store.aclose()

    handed_out = {u["update_id"] for u in fake.updates()}
    confirmations = Counter(
        number
        for resident in residents
        for m in fake.bot_messages(resident.user.id)
        if "已收到。" in m.get("text", "")
        for number in NUMBER.findall(m["text"])
    )
    cards: Counter[str] = Counter()
    for chat in groups:
        for m in fake.bot_messages(chat):
            card = OVERDUE not in m.get("text", "")  # an overdue notice starts the same way
            if card and (found := re.match(r"意见建议（(A-\d{4}-\d{6})）", m.get("text", ""))):
                cards[found[1]] += 1
    group_times = {chat: flood.accepted.get(chat, []) for chat in [*groups, STAFF_CHAT]}
    everything = [t for times in flood.accepted.values() for t in times]
    logs = "".join(p.log_text() for p in everyone)
    errors = [line for line in logs.splitlines() if '"level": "ERROR"' in line]
    figures |= {
        "updates handed out": len(handed_out),
        "updates not handled": sum(1 for u in handed_out if records.get(u) != InboundStatus.DONE),
        "webhook requests per process": dict(balancer.served),
        "webhook deliveries retried (not 2xx)": fake.webhook_errors,
        "messages received by the fake Bot API during the mixed load": sum(
            len(times) for times in flood.accepted.values()
        ),
        "… of them to deputy groups and staff": sum(len(t) for t in group_times.values()),
        "tickets": sum(numbers.values()),
        "residents with a number": sum(1 for r in residents if r.numbers),
        "confirmations more than once": sum(1 for n in confirmations.values() if n > 1),
        "tickets without a card": sum(1 for n in numbers if not cards[n]),
        "cards sent twice": sum(1 for n in cards.values() if n > 1),
        "overdue notices twice": sum(
            1 for t in first_batch + second_batch if overdue_notices(t.number) > 1
        ),
        "outbox rows failed": failed_out,
        "busiest second, every process's messages": busiest(everything, 1.0),
        "busiest group minute": max(busiest(times, 60.0) for times in group_times.values()),
        "429s met": flood.refused,
        "exit statuses on SIGTERM": [s for p in everyone for s in p.exit_statuses],
        "warnings with a traceback": logs.count("Traceback (most recent call last)"),
        "errors in the logs": len(errors),
    }
    print("\n" + "\n".join(f"  {name}: {value}" for name, value in figures.items()))

    assert figures["updates not handled"] == 0
    # Every resident was told a number at last (under load an answer may come after the
    # resident gave up waiting and tried again: counted from the chats, not from patience).
    told = [
        any("已收到。" in m.get("text", "") for m in fake.bot_messages(r.user.id))
        for r in residents
    ]
    assert all(told)
    assert set(confirmations) == set(numbers) and figures["confirmations more than once"] == 0
    assert all(n == 1 for n in numbers.values())
    assert figures["tickets without a card"] == 0 and figures["cards sent twice"] == 0
    # As Telegram counts them, when they arrive: a slot is held from a message being let go
    # until its answer (bot.telegram.limits), so a late arrival never bunches with the next;
    # the handlers' answers take their slots too (bot.telegram.paced).
    assert figures["429s met"] == 0, flood.refusals[:20]
    assert figures["busiest second, every process's messages"] <= OVERALL_PER_SECOND
    assert figures["busiest group minute"] <= GROUP_PER_MINUTE
    assert figures["supervisors active before the kill"] == 1
    assert figures["overdue notices twice"] == 0
    assert all(overdue_notices(t.number) == 1 for t in first_batch + second_batch)
    assert all(status == 0 for status in figures["exit statuses on SIGTERM"])
    assert all(served for served in balancer.served.values()) and len(balancer.served) == 2
    assert errors == [], "\n".join(errors)[-5000:]
