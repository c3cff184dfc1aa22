"""A backlog delivered under Telegram's real limits: 5,000 notifications to 2,000 residents and
20 deputy groups, through the fake Bot API enforcing 30 messages a second in all, one a second
to a person and 20 a minute to a group (429 with retry_after beyond them).

    .venv/bin/python -m bench.backlog [--messages 5000] [--residents 2000] [--groups 20]
        [--backends sqlite,postgres]

On each backend, a database of its own: a new SQLite file with the limiter in memory, and a
new PostgreSQL database (made through TEST_POSTGRES_URL) with the limiter in Redis
(TEST_REDIS_URL). Prints messages a second as a share of the configured overall limit, the
429s met, the busiest second, the busiest second of one person and the busiest group minute;
writes JSON under bench/results/; asserts nothing.
"""

import argparse
import asyncio
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import delete, func, select

from bench.harness import Database, table, write_results
from bench.updates import POSTGRES, REDIS
from bot.clock import SystemClock
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import Sender
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.telegram.channel import TelegramChannel
from bot.telegram.limits import Limits, TelegramLimits, send_slots
from storage.db import open_database
from storage.migrate import upgrade_async
from storage.models import TELEGRAM, Contact, OutboxMessage, OutboxPurpose, OutboxStatus
from storage.models import RecipientKind as Kind
from storage.queries.contacts import set_address

TOKEN = "123456:BENCH-backlog"
GROUP_SHARE = 0.1  # of the messages, to the groups (cards), the rest to residents


async def queue(sessions, messages: int, residents: int, groups: int) -> None:
    to_groups = int(messages * GROUP_SHARE)
    now = SystemClock().now()
    async with sessions() as session:
        await session.execute(delete(OutboxMessage))
        await session.execute(delete(Contact))
        for n in range(1, residents + 1):
            await set_address(session, Kind.RESIDENT, n, TELEGRAM, str(10_000 + n))
        for n in range(1, groups + 1):
            await set_address(session, Kind.DEPUTY_GROUP, n, TELEGRAM, str(-1_000_000 - n))
        for i in range(messages):
            if i % (messages // to_groups) == 0 and to_groups:
                recipient = Recipient.deputy_group(1 + (i // (messages // to_groups)) % groups)
            else:
                recipient = Recipient.resident(1 + i % residents)
            enqueue(session, recipient, OutboxPurpose.STATUS, Content(f"第{i + 1}条"), now)
        await session.commit()


def busiest(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def deliver(args: argparse.Namespace, database: Database) -> dict[str, Any]:
    await upgrade_async(database.url)
    fake = FakeTelegram()
    fake.add_bot(token=TOKEN, username="liaison_bench_bot")
    for n in range(1, args.residents + 1):
        fake.user(user_id=10_000 + n, first_name=f"居民{n}")
    for n in range(1, args.groups + 1):
        fake.group(-1_000_000 - n, f"代表小组{n}")
    flood = fake.enforce_limits(FakeLimits())
    url = await fake.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    limiter = send_slots(database.redis_url, key_prefix=f"bench-backlog-{time.time_ns()}")
    limits = TelegramLimits(Limits(), limiter)
    async with open_database(database.url) as sessions:
        await queue(sessions, args.messages, args.residents, args.groups)
        channel = TelegramChannel(bot, limits)
        sender = Sender(sessions, channel, SystemClock(), concurrency=args.concurrency)
        started = time.monotonic()
        running = asyncio.create_task(sender.run())
        while True:
            await asyncio.sleep(0.5)
            async with sessions() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            if left == 0:
                break
        elapsed = time.monotonic() - started
        sender.stop()
        await running
        async with sessions() as session:
            failed = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.FAILED)
            )
    await bot.session.close()
    await limits.close()
    await fake.stop()
    await database.drop()

    everything = [t for times in flood.accepted.values() for t in times]
    # Until the last resident's message the backlog keeps the overall limit busy; after it,
    # only the groups' minutes are left to wait out.
    residents_done = max(t for chat, ts in flood.accepted.items() if chat > 0 for t in ts)
    first = min(everything)
    early = sum(1 for t in everything if t <= residents_done)
    overall = limits.overall.amount / limits.overall.seconds
    busy_rate = early / (residents_done - first)
    return {
        "backend": database.label,
        "delivered": len(everything),
        "queued": args.messages,
        "failed": failed,
        "seconds": elapsed,
        "messages_per_second": len(everything) / elapsed,
        "busy_messages_per_second": busy_rate,
        "share_of_overall_limit": busy_rate / overall,
        "overall_limit_per_second": overall,
        "refused_429": flood.refused,
        "busiest_second": busiest(everything, 1.0),
        "busiest_person_second": max(
            busiest(ts, 1.0) for chat, ts in flood.accepted.items() if chat > 0
        ),
        "busiest_group_minute": max(
            busiest(flood.accepted.get(-1_000_000 - n, []), 60.0) for n in range(1, args.groups + 1)
        ),
    }


async def main(args: argparse.Namespace) -> None:
    results = []
    for backend in args.backends:
        postgres = backend == "postgres"
        database = await Database.create(
            POSTGRES if postgres else None, REDIS if postgres else None
        )
        results.append(await deliver(args, database))
    names = [key for key in results[0] if key != "backend"]
    print(
        table(
            [[name, *(r[name] for r in results)] for name in names],
            ["", *(r["backend"] for r in results)],
        )
    )
    print(f"results: {write_results('backlog', {'arguments': vars(args), 'results': results})}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog", description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument(
        "--concurrency", type=int, default=16, help="recipients served at once (OUTBOX_CONCURRENCY)"
    )
    parser.add_argument("--backends", default="sqlite,postgres", type=lambda s: s.split(","))
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
