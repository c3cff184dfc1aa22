"""Operating the bot: readiness says what is missing, JSON logs name the update and the
ticket and never what a resident wrote at INFO, and `purge` removes the personal data of
tickets concluded long ago while keeping what the statistics count."""

import io
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.app import build_application
from bot.cli import main
from bot.core.retention import purge_concluded
from bot.logs import setup_logging
from bot.runners.status import serve_status
from bot.settings import LogSettings, Settings, StorageSettings, TelegramSettings
from storage.models import OutboxMessage, Ticket, TicketEvent, TicketStatus, TimelineAction
from tests.support.harness import BOT_TOKEN, START, Harness
from tests.support.stories import OPINION, register_in_haide, submit
from tests.test_crash_restart import NUMBER
from tests.test_webhook import free_port


async def test_readiness_names_what_is_missing(empty_database_url: str):
    settings = Settings(
        telegram=TelegramSettings(bot_token=BOT_TOKEN),
        storage=StorageSettings(database_url=empty_database_url, auto_migrate=False),
    )
    app = build_application(settings)
    port = free_port()
    runner = await serve_status(app, "127.0.0.1", port)
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/healthz") as alive:
                assert alive.status == 200
            async with client.get(f"http://127.0.0.1:{port}/readyz") as ready:
                body = await ready.json()
    finally:
        await runner.cleanup()
        await app.close()
    assert ready.status == 503
    assert list(body["problems"]) == ["migrations"]
    assert "run `python -m bot migrate`" in body["problems"]["migrations"]


async def test_json_logs_name_the_update_and_the_ticket_not_the_text(harness: Harness):
    stream = io.StringIO()
    setup_logging(LogSettings(log_level="DEBUG", log_format="json"), stream)
    try:
        resident = harness.fake.user(user_id=7_400_001, first_name="小红", language_code="zh-hans")
        await register_in_haide(harness, resident)
        confirmation = await submit(harness, resident, OPINION)
        await harness.outbox_settled()
    finally:
        setup_logging(LogSettings())
    number = NUMBER.findall(confirmation["text"])[0]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    updates = {line["update_id"] for line in lines if "update_id" in line}
    assert {u["update_id"] for u in harness.fake.updates()} <= updates
    assert any(line.get("ticket") == number for line in lines)
    # The fake Bot API's own access log (a server in this process) is not the bot's.
    bots = [line for line in lines if line["logger"] != "aiohttp.access"]
    above_debug = json.dumps([line for line in bots if line["level"] != "DEBUG"])
    assert OPINION not in above_debug and "小红" not in above_debug
    assert BOT_TOKEN.split(":")[1] not in json.dumps(bots)


async def test_purge_anonymises_concluded_tickets_past_retention(harness: Harness):
    resident = harness.fake.user(user_id=7_400_002, first_name="小红", language_code="zh-hans")
    neighbour = harness.fake.user(user_id=7_400_003, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    await register_in_haide(harness, neighbour)
    await submit(harness, neighbour, "第二条：公园的长椅坏了。")
    await harness.outbox_settled()
    sessions = harness.app.sessionmaker
    async with sessions.begin() as session:
        first, second = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        for ticket in (first, second):
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=START,
                    actor="deputy",
                    action=TimelineAction.REPLIED,
                    detail={"text": "已联系城管", "deputy": 1},
                )
            )
        await session.execute(
            update(Ticket)
            .where(Ticket.id == first.id)
            .values(status=TicketStatus.RATED, closed_at=START - timedelta(days=400))
        )
        await session.execute(
            update(Ticket)
            .where(Ticket.id == second.id)
            .values(status=TicketStatus.CLOSED, closed_at=START - timedelta(days=10))
        )

    assert await purge_concluded(sessions, START - timedelta(days=365)) == 1
    assert await purge_concluded(sessions, START - timedelta(days=365)) == 0  # cron again

    async with sessions() as session:
        old, recent = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        replies = {
            e.ticket_id: e.detail
            for e in await session.scalars(
                select(TicketEvent).where(TicketEvent.action == TimelineAction.REPLIED)
            )
        }
        messages = {
            m.ticket_id: m.payload["text"]
            for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }
    assert (old.text, old.status, old.number) == ("", TicketStatus.RATED, old.number)
    assert old.area_id is not None and old.deputy_group_id is not None
    assert replies[old.id] == {"deputy": 1}
    assert messages[old.id] == ""
    assert recent.text == "第二条：公园的长椅坏了。"
    assert replies[recent.id]["text"] == "已联系城管"
    assert "公园的长椅" in messages[recent.id]


def test_purge_command_reads_an_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/purge.sqlite3")
    assert main(["migrate"]) == 0
    assert main(["purge", "--older-than", "2y"]) == 0
    with pytest.raises(SystemExit):
        main(["purge", "--older-than", "two years"])
    assert "0 ticket(s) concluded before 730 days ago anonymised" in capsys.readouterr().out
