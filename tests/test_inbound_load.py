"""Many residents at once: 200 /start updates handed to the dispatcher together (as after a
restart, or two batches of 100 overlapping), every resident is greeted, nobody gets an apology
and nothing is logged as a warning or an error: the pools wait for a free connection instead
of refusing one (Redis's used to refuse the 101st). On PostgreSQL + Redis and on SQLite."""

import asyncio
import logging

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from storage.models import InboundStatus, InboundUpdate
from tests.support.harness import Harness

RESIDENTS = 200
APOLOGY = "抱歉，系统暂时出现问题，请稍后再试。"


async def test_200_residents_starting_at_once_are_all_greeted(
    harness: Harness, caplog: pytest.LogCaptureFixture
):
    fake = harness.fake
    residents = [
        fake.user(user_id=6000 + n, first_name=f"居民{n}", language_code="zh-hans")
        for n in range(RESIDENTS)
    ]
    app = harness.app
    await fake.wait_for(lambda: any(r.method == "getUpdates" for r in fake.requests))
    await app.inbound.stop()  # the residents write while the bot is away
    for resident in residents:
        await resident.send_text("/start")
    updates = [Update.model_validate(u, context={"bot": app.bot}) for u in fake.updates()]
    with caplog.at_level(logging.WARNING):
        await app.inbound.receive(updates)  # all 200 at once
        await fake.wait_for(
            lambda: all(len(fake.bot_messages(r.id)) == 2 for r in residents), timeout=120
        )
        async with asyncio.timeout(60):
            while True:
                async with harness.app.sessionmaker() as session:
                    done = await session.scalar(
                        select(func.count()).where(InboundUpdate.status == InboundStatus.DONE)
                    )
                if done == RESIDENTS:
                    break
                await asyncio.sleep(0.05)
    answers = [m["text"] for r in residents for m in fake.bot_messages(r.id)]
    assert len(answers) == 2 * RESIDENTS  # the greeting, then the area question
    assert len([text for text in answers if "您好！" in text]) == RESIDENTS
    assert not any(APOLOGY in text for text in answers)
    problems = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records]
    assert problems == []
