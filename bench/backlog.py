"""A backlog delivered under Telegram's real limits: 2,000 messages to 500 residents and 5
deputy groups, through the fake Bot API enforcing 30 messages a second in all, one a second to
a person and 20 a minute to a group (429 with retry_after beyond them).

    .venv/bin/python -m bench.backlog [MESSAGES] [DATABASE_URL] [REDIS_URL]

Without a URL it uses a new SQLite file and the limiter in memory; a PostgreSQL URL must name
a migrated database (it is emptied of outbox rows and contacts first). Prints messages a
second against the limit, the 429s met, the busiest second and the busiest group minute;
asserts nothing.
"""

import asyncio
import sys
import tempfile
import time

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import delete, func, select

from bot.clock import SystemClock
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import Sender
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.telegram.channel import TelegramChannel
from bot.telegram.limits import Limits, TelegramLimits, limits_storage
from storage.db import open_database
from storage.migrate import upgrade
from storage.models import TELEGRAM, Contact, OutboxMessage, OutboxPurpose, OutboxStatus
from storage.models import RecipientKind as Kind
from storage.queries.contacts import set_address

TOKEN = "123456:BENCH-backlog"
RESIDENTS, GROUPS = 500, 5
GROUP_SHARE = 0.1  # of the messages, to the groups (cards), the rest to residents


async def queue(sessions, messages: int) -> None:
    to_groups = int(messages * GROUP_SHARE)
    now = SystemClock().now()
    async with sessions() as session:
        await session.execute(delete(OutboxMessage))
        await session.execute(delete(Contact))
        for n in range(1, RESIDENTS + 1):
            await set_address(session, Kind.RESIDENT, n, TELEGRAM, str(10_000 + n))
        for n in range(1, GROUPS + 1):
            await set_address(session, Kind.DEPUTY_GROUP, n, TELEGRAM, str(-1_000_000 - n))
        for i in range(messages):
            if i % (messages // to_groups) == 0 and to_groups:
                recipient = Recipient.deputy_group(1 + (i // (messages // to_groups)) % GROUPS)
            else:
                recipient = Recipient.resident(1 + i % RESIDENTS)
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


async def main(messages: int, database_url: str | None, redis_url: str | None) -> None:
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/backlog.sqlite3"
        upgrade(database_url)
    fake = FakeTelegram()
    fake.add_bot(token=TOKEN, username="liaison_bench_bot")
    for n in range(1, RESIDENTS + 1):
        fake.user(user_id=10_000 + n, first_name=f"居民{n}")
    for n in range(1, GROUPS + 1):
        fake.group(-1_000_000 - n, f"代表小组{n}")
    flood = fake.enforce_limits(FakeLimits())
    url = await fake.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    limits = TelegramLimits(Limits(), limits_storage(redis_url, key_prefix="bench-backlog"))
    async with open_database(database_url) as sessions:
        await queue(sessions, messages)
        sender = Sender(sessions, TelegramChannel(bot, limits), SystemClock(), poll_seconds=0.2)
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
    await fake.stop()

    everything = [t for times in flood.accepted.values() for t in times]
    residents_done = max(t for chat, ts in flood.accepted.items() if chat > 0 for t in ts)
    first = min(everything)
    early = sum(1 for t in everything if t <= residents_done)
    group_minutes = [
        busiest(flood.accepted.get(-1_000_000 - n, []), 60.0) for n in range(1, GROUPS + 1)
    ]
    private_seconds = max(busiest(ts, 1.0) for chat, ts in flood.accepted.items() if chat > 0)
    print(f"database: {database_url.split(':')[0]}, limiter: {'redis' if redis_url else 'memory'}")
    print(f"messages: {len(everything)} delivered of {messages} queued, {failed} failed")
    print(f"all delivered in {elapsed:.1f} s ({len(everything) / elapsed:.1f} messages/s)")
    print(
        f"until the last resident's: {early} messages in {residents_done - first:.1f} s = "
        f"{early / (residents_done - first):.1f} messages/s (limit {Limits().overall})"
    )
    print(f"busiest second: {busiest(everything, 1.0)} messages (limit 30)")
    print(f"busiest second of one person: {private_seconds} (limit 1)")
    print(f"busiest group minute: {max(group_minutes)} messages (limit 20); each {group_minutes}")
    print(f"429s met: {flood.refused}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    asyncio.run(
        main(
            count,
            sys.argv[2] if len(sys.argv) > 2 else None,
            sys.argv[3] if len(sys.argv) > 3 else None,
        )
    )
