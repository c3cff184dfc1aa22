"""Webhook mode, through the fake Bot API posting updates as Telegram does: the secret is
required (401 and nothing stored without it), the webhook is registered at start without
dropping what waits, an update is answered 2xx only once recorded, and a database outage is
answered 5xx until Telegram's retry finds the database back: exactly one ticket."""

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.clock import FrozenClock
from bot.fake_telegram import FakeTelegram
from bot.runners.webhook import SECRET_HEADER, WebhookNotConfigured, run_webhook, webhook_app
from bot.settings import (
    DeliverySettings,
    InboundSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    WebhookSettings,
)
from storage.models import InboundStatus, InboundUpdate, Ticket
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.harness import BOT_TOKEN, Harness, deputy_group_chats
from tests.support.stories import NAMELESS, NOT_SURE, OPINION, register_in_haide

SECRET = "s3cret-Token_of-the-webhook"
PATH = "/telegram/webhook"


# Ports a test hands to a process that binds them only once it has started (seconds later on
# a loaded machine): below the kernel's ephemeral range (32768 up), which every outgoing
# connection and every other `bind(0)` draws from, so none of them takes the port meanwhile.
PORTS_FOR_LATER = range(20_000, 32_768)
_handed_out: set[int] = set()  # never the same port twice to one test run


def free_port() -> int:
    """A port free now, for a process to bind later."""
    for port in random.sample(PORTS_FOR_LATER, 100):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise OSError("no free port below the ephemeral range")


def webhook_settings(port: int, secret: str | None = SECRET) -> WebhookSettings:
    return WebhookSettings(
        webhook_base_url=f"http://127.0.0.1:{port}",
        webhook_secret=secret,
        webhook_port=port,
        webhook_max_connections=10,
    )


@pytest.fixture
async def webhook(
    database_url: str,
    redis_url: str | None,
    redis_prefix: str,
    directory_loaded: None,
    clock: FrozenClock,
) -> AsyncIterator[tuple[Harness, WebhookSettings]]:
    fake = FakeTelegram(webhook_retry_delay=0.05)
    fake.add_bot(token=BOT_TOKEN, username="liaison_test_bot", first_name="代表联络站")
    groups = deputy_group_chats(fake)
    base_url = await fake.start()
    hook = webhook_settings(free_port())
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN, telegram_api_url=base_url),
        storage=StorageSettings(database_url=database_url, redis_url=redis_url, auto_migrate=False),
        delivery=DeliverySettings(outbox_poll_seconds=0.2),
        inbound=InboundSettings(inbound_retry_seconds=0.05),
        webhook=hook,
    )
    app = build_application(settings, clock, redis_prefix=redis_prefix)
    # An update that waited for the bot before the webhook was set is not dropped.
    early = fake.user(user_id=7_300_001, first_name="早到", language_code="zh-hans")
    await early.send_text("/start")
    serving = asyncio.create_task(
        run_webhook(app, hook, app.role_services("all"), handle_signals=False)
    )
    await fake.wait_for(lambda: fake._webhook is not None, timeout=10)
    yield Harness(fake, app, groups), hook
    await app.inbound.stop()
    await asyncio.wait_for(serving, 30)
    await app.close()
    await fake.stop()


async def stored_updates(harness: Harness) -> int:
    async with harness.app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(InboundUpdate)) or 0


async def test_the_webhook_is_registered_and_a_resident_is_answered(
    webhook: tuple[Harness, WebhookSettings],
):
    harness, hook = webhook
    info = await harness.app.bot.get_webhook_info()
    assert info.url == hook.url
    assert info.max_connections == 10
    assert set(info.allowed_updates or []) >= {"message", "callback_query"}
    await harness.bot_says(7_300_001, "您好！这里是人大代表联络站")  # the waiting one came

    resident = harness.fake.user(user_id=7_300_002, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    assert harness.fake.pending_updates() == []


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
async def test_a_request_without_the_right_secret_gets_401_and_leaves_no_trace(
    webhook: tuple[Harness, WebhookSettings], secret: str | None
):
    harness, hook = webhook
    await harness.bot_says(7_300_001, "您好！这里是人大代表联络站")
    before = await stored_updates(harness)
    update = {
        "update_id": 990001,
        "message": {
            "message_id": 1,
            "date": 1764500000,
            "chat": {"id": 7_300_009, "type": "private", "first_name": "冒充"},
            "from": {"id": 7_300_009, "is_bot": False, "first_name": "冒充"},
            "text": "/start",
        },
    }
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with aiohttp.ClientSession() as client:
        async with client.post(hook.url or "", json=update, headers=headers) as response:
            assert response.status == 401
        # The same with the right secret is taken, as a check that the test could fail.
        async with client.post(hook.url or "", json=update, headers={SECRET_HEADER: SECRET}) as ok:
            assert ok.status == 200

    async with harness.app.sessionmaker() as session:
        ids = set((await session.scalars(select(InboundUpdate.update_id))).all())
    assert await stored_updates(harness) == before + 1
    assert 990001 in ids


async def test_the_webhook_refuses_to_start_without_a_secret(database_url: str):
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN),
        storage=StorageSettings(database_url=database_url, auto_migrate=False),
    )
    app = build_application(settings)
    try:
        with pytest.raises(WebhookNotConfigured, match="WEBHOOK_SECRET is not set"):
            webhook_app(app, webhook_settings(free_port(), secret=None))
    finally:
        await app.close()


async def set_connections(database: str, allowed: bool) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(
            f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                database,
            )
    finally:
        await connection.close()


async def test_a_database_outage_is_answered_5xx_then_the_retry_makes_one_ticket(
    backend: str, webhook: tuple[Harness, WebhookSettings], database_url: str
):
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file is not a server that can be down")
    harness, _ = webhook
    fake = harness.fake
    resident = fake.user(user_id=7_300_003, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    database = make_url(database_url).database or ""
    errors_before = fake.webhook_errors

    await set_connections(database, allowed=False)
    try:
        await harness.press(resident, prompt, "提交")
        await fake.wait_for(lambda: fake.webhook_errors >= errors_before + 2, timeout=20)
        info: Any = await harness.app.bot.get_webhook_info()
        assert info.pending_update_count >= 1
        assert "Wrong response from the webhook: 503" in (info.last_error_message or "")
    finally:
        await set_connections(database, allowed=True)

    # The press that met the outage is handled on the retry: the topic, then the name question.
    asked = await harness.bot_says(resident.id, "请选择意见建议的类别", timeout=30)
    await harness.press(resident, asked, NOT_SURE)
    asked = await harness.bot_says(resident.id, "是否向人大代表公开您的姓名")
    await harness.press(resident, asked, NAMELESS)
    confirmation = await harness.bot_says(resident.id, "已收到。", timeout=30)
    await harness.outbox_settled(timeout=30)
    async with harness.app.sessionmaker() as session:
        tickets = (await session.scalars(select(Ticket))).all()
        failed = await session.scalar(
            select(func.count()).where(InboundUpdate.status != InboundStatus.DONE)
        )
    assert len(tickets) == 1 and tickets[0].number in confirmation["text"]
    assert sum("已收到。" in m.get("text", "") for m in fake.bot_messages(resident.id)) == 1
    assert failed == 0


async def test_health_readiness_and_metrics_on_the_webhook_port(
    webhook: tuple[Harness, WebhookSettings],
):
    harness, hook = webhook
    await harness.bot_says(7_300_001, "您好！这里是人大代表联络站")
    base = f"http://127.0.0.1:{hook.webhook_port}"
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{base}/healthz") as alive:
            assert (alive.status, await alive.json()) == (200, {"status": "alive"})
        async with client.get(f"{base}/readyz") as ready:
            assert (ready.status, await ready.json()) == (200, {"status": "ready"})
        async with client.get(f"{base}/metrics") as metrics:
            text = await metrics.text()
    assert metrics.status == 200
    for name in (
        "liaison_updates_received_total",
        "liaison_updates_handled_total",
        "liaison_sends_total",
        'liaison_tickets{state="assigned"}',
        "liaison_outbox_pending",
        "liaison_outbox_oldest_due_seconds",
        'liaison_http_request_seconds_count{app="webhook"}',
    ):
        assert name in text, name
