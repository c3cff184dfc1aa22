"""A burst of 100 new tickets for one deputy group: every card arrives, in the order of the
tickets, within Telegram's per-group limit and without a single 429. The fake enforces the
limits (scaled down to 10 a second to a group, so the test takes seconds, not minutes) and the
bot is told the same limits, as it is told Telegram's in production."""

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import Application, build_application
from bot.clock import FrozenClock
from bot.core.residents import register_resident
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.flood import Limits as FakeLimits
from bot.runners.polling import run_polling
from bot.settings import (
    DeliverySettings,
    Settings,
    StorageSettings,
    TelegramSettings,
)
from storage.models import TELEGRAM, Area
from tests.support.harness import BOT_TOKEN, deputy_group_chats

TICKETS = 100
HAIDE_GROUP_1 = -1001000000101
GROUP_LIMIT = (10, 1.0)  # 10 messages a second to one group: Telegram's 20 a minute, scaled


@pytest.fixture
async def paced(
    database_url: str,
    redis_url: str | None,
    redis_prefix: str,
    directory_loaded: None,
    clock: FrozenClock,
) -> AsyncIterator[tuple[FakeTelegram, Application]]:
    fake = FakeTelegram()
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot", first_name="代表联络站")
    deputy_group_chats(fake)
    fake.enforce_limits(FakeLimits(overall=(40, 1.0), group=GROUP_LIMIT))
    base_url = await fake.start()
    settings = Settings(
        telegram=TelegramSettings(
            bot_token=BOT_TOKEN,
            telegram_api_url=base_url,
            telegram_limit_overall="40/second",
            telegram_limit_group="10/second",
        ),
        storage=StorageSettings(database_url=database_url, redis_url=redis_url, auto_migrate=False),
        delivery=DeliverySettings(outbox_poll_seconds=0.2),
    )
    app = build_application(settings, clock, redis_prefix=redis_prefix)
    polling = asyncio.create_task(run_polling(app, handle_signals=False))
    yield fake, app
    await app.inbound.stop()
    await polling
    await app.close()
    await fake.stop()


async def test_a_hundred_new_tickets_arrive_complete_in_order_and_without_a_429(
    paced: tuple[FakeTelegram, Application],
):
    fake, app = paced
    async with app.sessionmaker.begin() as session:
        hexiang = await session.scalar(select(Area).where(Area.name == "和祥社区"))
        assert hexiang is not None
        for number in range(1, TICKETS + 1):
            resident = await register_resident(
                session, TELEGRAM, str(6000 + number), f"居民{number}", "zh_Hans", app.clock.now()
            )
            resident.area_id = hexiang.id
            await app.desk.submit_opinion(
                session, resident, f"第{number}件意见建议", f"burst-{number}"
            )

    def cards() -> list[str]:
        found = (
            re.match(r"意见建议（(A-\d{4}-\d{6})）", m.get("text", ""))
            for m in fake.bot_messages(HAIDE_GROUP_1)
        )
        return [match[1] for match in found if match]

    await fake.wait_for(lambda: len(cards()) == TICKETS, timeout=60)
    assert cards() == [f"A-2026-{n:06d}" for n in range(1, TICKETS + 1)]
    assert fake.flood is not None
    assert fake.flood.refusals == []
    slack = fake.flood.limits.slack
    assert fake.flood.busiest(HAIDE_GROUP_1, GROUP_LIMIT[1] - slack) <= GROUP_LIMIT[0]
