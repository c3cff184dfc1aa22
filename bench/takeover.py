"""How long the rows of a sender killed with SIGKILL wait before another sender delivers them.

    .venv/bin/python -m bench.takeover POSTGRESQL_URL [CARDS]

The URL must name a migrated PostgreSQL database (its outbox and contacts are emptied first).
A child process runs a sender (default lease and poll) against the fake Bot API, whose answers
take 0.5 s; once it has sent a third of the cards it is killed at a random moment, and a
sender in this process takes over. Prints, for the rows the dead sender held, how long after
the kill each arrived, and how many messages arrived twice (those the fake had carried out
before the caller died: Telegram would carry out every call it received); asserts nothing.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import delete, select

from bot.clock import SystemClock
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import Sender
from bot.fake_telegram import FakeTelegram
from bot.settings import DeliverySettings
from bot.telegram.channel import TelegramChannel
from storage.db import open_database
from storage.models import TELEGRAM, Contact, OutboxMessage, OutboxPurpose, OutboxStatus
from storage.models import RecipientKind as Kind
from storage.queries.contacts import set_address

TOKEN = "123456:BENCH-takeover"
ANSWER_SECONDS = 0.5


def sender_for(sessions, api_url: str) -> tuple[Bot, Sender]:
    settings = DeliverySettings()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    sender = Sender(
        sessions,
        TelegramChannel(bot),
        SystemClock(),
        settings.outbox_poll_seconds,
        concurrency=settings.outbox_concurrency,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
    return bot, sender


async def child(database_url: str, api_url: str) -> None:
    async with open_database(database_url) as sessions:
        _, sender = sender_for(sessions, api_url)
        await sender.run()


async def main(database_url: str, cards: int) -> None:
    fake = FakeTelegram()
    fake.add_bot(token=TOKEN, username="liaison_bench_bot")
    for n in range(1, cards + 1):
        fake.user(user_id=10_000 + n, first_name=f"居民{n}")
    fake.slow_down("sendMessage", ANSWER_SECONDS)
    api_url = await fake.start()
    async with open_database(database_url) as sessions:
        async with sessions() as session:
            await session.execute(delete(OutboxMessage))
            await session.execute(delete(Contact))
            for n in range(1, cards + 1):
                await set_address(session, Kind.RESIDENT, n, TELEGRAM, str(10_000 + n))
                enqueue(
                    session,
                    Recipient.resident(n),
                    OutboxPurpose.CARD,
                    Content(f"卡片{n}"),
                    SystemClock().now(),
                )
            await session.commit()
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.takeover", "--child", database_url, api_url]
        )
        delivered = lambda: sum(1 for r in fake.requests if r.status == 200)  # noqa: E731
        await fake.wait_for(lambda: delivered() >= cards // 3, timeout=120)
        await asyncio.sleep(random.uniform(0, ANSWER_SECONDS))  # any moment of a send
        os.kill(process.pid, signal.SIGKILL)
        killed = time.monotonic()
        process.wait()
        async with sessions() as session:
            held = set(
                await session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.next_attempt_at > SystemClock().now(),
                    )
                )
            )
        arrived: dict[int, float] = {}
        bot, sender = sender_for(sessions, api_url)
        running = asyncio.create_task(sender.run())
        while len(arrived) < len(held):
            await asyncio.sleep(0.05)
            async with sessions() as session:
                for row in await session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.id.in_(held), OutboxMessage.status == OutboxStatus.SENT
                    )
                ):
                    arrived.setdefault(row, time.monotonic() - killed)
        while True:
            async with sessions() as session:
                left = await session.scalar(
                    select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            if left is None:
                break
            await asyncio.sleep(0.1)
        sender.stop()
        await running
        await bot.session.close()
    texts = [m["text"] for n in range(1, cards + 1) for m in fake.bot_messages(10_000 + n)]
    waits = sorted(arrived.values())
    settings = DeliverySettings()
    print(
        f"lease {settings.outbox_lease_seconds:.0f} s, poll {settings.outbox_poll_seconds:.0f} s, "
        f"answers {ANSWER_SECONDS} s"
    )
    print(f"rows the killed sender held: {len(held)}")
    if waits:
        print(
            f"delivered after the kill: first {waits[0]:.1f} s, median "
            f"{waits[len(waits) // 2]:.1f} s, worst {waits[-1]:.1f} s"
        )
    print(f"cards: {len(texts)} messages for {cards} cards, {len(texts) - len(set(texts))} twice")
    dropped = sum(1 for r in fake.requests if r.status == 499)
    print(f"calls the fake dropped because the caller died: {dropped}")
    await fake.stop()


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        asyncio.run(child(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100))
