"""Notification latency below the limits: from a committed status change (a deputy's answer,
which marks the ticket answered and queues the resident's notice) to the fake Bot API
receiving the notice, the fake enforcing Telegram's limits.

    .venv/bin/python -m bench.notification_latency [--changes 40] [--per-second 2]
        [--backends sqlite,postgres]

Three ways a sender hears of the commit:
  same process   — the sender runs in the committing process (SQLite and PostgreSQL), woken
                   as a handled update wakes it;
  other process  — PostgreSQL: the sender is `python -m bot run`, the commit is made here and
                   followed by `NOTIFY outbox`, as every committing process does;
  no NOTIFY      — the same without the NOTIFY: what is left is the poll (OUTBOX_POLL_SECONDS).
Both times are taken in this process. Prints p50/p99/worst and the 429s; writes JSON under
bench/results/; asserts nothing.
"""

import argparse
import asyncio
import random
import time
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bench.harness import BotProcess, Database, TimedFake, percentile, table, write_results
from bench.updates import POSTGRES, REDIS, outbox_settled, prepared
from bot.app import build_desk
from bot.clock import SystemClock
from bot.delivery.sender import Sender
from bot.delivery.wakeup import OutboxWakeup
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.settings import DeliverySettings, Settings, StorageSettings, TelegramSettings
from bot.telegram.channel import TelegramChannel
from bot.telegram.limits import Limits, TelegramLimits, send_slots
from storage.db import open_database
from storage.models import TELEGRAM, Area, Deputy, Resident, Ticket, deputy_group_members
from storage.models import RecipientKind as Kind
from storage.queries.contacts import set_address
from tests.support.harness import deputy_group_chats

COMMUNITIES = ["和祥社区", "新桥社区", "东门社区", "锦园社区", "石坎村"]
ANSWER = "您好，已联系街道城管科，本周五前修好。"
FIRST_CHAT = 8_500_000


async def tickets(sessions: Any, desk: Any, count: int) -> list[tuple[int, int, int]]:
    """`count` residents with a ticket each, spread over the groups: (chat, ticket, deputy)."""
    made = []
    async with sessions.begin() as session:
        areas = [await session.scalar(select(Area.id).where(Area.name == c)) for c in COMMUNITIES]
        for n in range(count):
            resident = Resident(
                display_name="小红",
                locale="zh_Hans",
                area_id=areas[n % len(areas)],
                created_at=desk.clock.now(),
            )
            session.add(resident)
            await session.flush()
            await set_address(session, Kind.RESIDENT, resident.id, TELEGRAM, str(FIRST_CHAT + n))
            submission = await desk.submit_opinion(session, resident, "路灯坏了", f"bench-{n}")
            deputy = await session.scalar(
                select(deputy_group_members.c.deputy_id).where(
                    deputy_group_members.c.group_id == submission.ticket.deputy_group_id
                )
            )
            made.append((FIRST_CHAT + n, submission.ticket.id, deputy))
    return made


async def answer(sessions: Any, desk: Any, ticket_id: int, deputy_id: int) -> float:
    """A deputy's answer committed; returns the moment the commit returned."""
    async with sessions() as session:
        ticket = await session.get_one(Ticket, ticket_id)
        deputy = await session.get_one(Deputy, deputy_id)
        await desk.reply_from_deputy(session, ticket, deputy, ANSWER)
        await session.commit()
    return time.perf_counter()


async def measure(args: argparse.Namespace, database: Database, way: str) -> dict[str, Any]:
    await prepared(database)
    fake = TimedFake()
    fake.add_bot(token=f"{random.randrange(10**9, 2 * 10**9)}:BENCH-notify", username="b_bot")
    deputy_group_chats(fake)
    for n in range(args.changes):
        fake.user(user_id=FIRST_CHAT + n, first_name="小红")
    flood = fake.enforce_limits(FakeLimits())
    url = await fake.start()
    settings = Settings(
        telegram=TelegramSettings(bot_token=fake.bot.token, telegram_api_url=url),
        storage=StorageSettings(database_url=database.url, redis_url=database.redis_url),
    )
    desk = build_desk(settings, SystemClock())
    poll = DeliverySettings().outbox_poll_seconds
    async with open_database(database.url) as sessions:
        made = await tickets(sessions, desk, args.changes)
        engine = sessions.kw["bind"]
        bot = sender = None
        if way == "same process":
            api = Bot(fake.bot.token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
            limiter = send_slots(database.redis_url, key_prefix=f"bench-{time.time_ns()}")
            channel = TelegramChannel(api, TelegramLimits(Limits(), limiter))
            sender = Sender(sessions, channel, SystemClock(), poll)
            wakeup = OutboxWakeup(engine, sender.wake)
            services = [sender, wakeup]
            running = [asyncio.create_task(s.run()) for s in services]
        else:
            wakeup = OutboxWakeup(engine, lambda: None)
            env = {"BOT_TOKEN": fake.bot.token, "TELEGRAM_API_URL": url}
            env |= {"DATABASE_URL": database.url, "REDIS_URL": database.redis_url or ""}
            bot = BotProcess(["bot", "run"], env | {"AUTO_MIGRATE": "false"}, args.log)
            await bot.start()
        await outbox_settled(database.url)  # the cards are in their groups
        latencies = []
        for chat, ticket_id, deputy_id in made:
            before = time.perf_counter()
            committed = await answer(sessions, desk, ticket_id, deputy_id)
            if way != "no NOTIFY":
                wakeup.publish()
            received = await fake.says(chat, ANSWER, before)
            latencies.append((received["at"] - committed) * 1000)
            await asyncio.sleep(max(0.0, before + 1 / args.per_second - time.perf_counter()))
        if sender is not None:
            for service in services:
                service.stop()
            await asyncio.gather(*running)
            await api.session.close()
            await limiter.close()
        if bot is not None:
            await bot.stop()
    await fake.stop()
    await database.drop()
    return {
        "backend": database.label,
        "sender": way,
        "changes": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "worst_ms": max(latencies),
        "refused_429": flood.refused,
    }


async def main(args: argparse.Namespace) -> None:
    results = []
    for backend in args.backends:
        postgres = backend == "postgres"
        ways = ["same process", "other process", "no NOTIFY"] if postgres else ["same process"]
        for way in ways:
            database = await Database.create(
                POSTGRES if postgres else None, REDIS if postgres else None
            )
            results.append(await measure(args, database, way))
    keys = list(results[0])
    print(table([[r[k] for k in keys] for r in results], keys))
    print(f"results: {write_results('notification_latency', {'results': results})}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.notification_latency")
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--per-second", type=float, default=2.0)
    parser.add_argument("--backends", default="sqlite,postgres", type=lambda s: s.split(","))
    parser.add_argument("--log", type=Path, default=Path("/tmp/bench-notification-bot.log"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
