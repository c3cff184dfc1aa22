"""Operating the bot: readiness says what is missing, JSON logs name the update and the
ticket and never what a resident wrote at INFO, and `purge` removes the personal data of
tickets concluded long ago (and the names of their residents) while keeping what the
statistics count."""

import io
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.app import build_application
from bot.cli import main
from bot.core.retention import Purged, purge
from bot.logs import setup_logging
from bot.runners.status import serve_status
from bot.settings import LogSettings, Settings, StorageSettings, TelegramSettings
from storage.models import (
    Attachment,
    OutboxMessage,
    Reception,
    ReceptionSignup,
    Resident,
    SignupStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)
from tests.support.harness import BOT_TOKEN, START, Harness
from tests.support.receptions import schedule
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
        await harness.updates_handled()
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


QUOTING = (TimelineAction.REPLIED, TimelineAction.ADDED, TimelineAction.EXTENDED)
QUOTED = (
    {"text": "已联系城管", "by": "王建国"},
    {"text": "补充：晚上十点以后最吵"},
    {"reason": "等待城管答复", "to": "2025-12-01"},
)


async def test_purge_anonymises_concluded_tickets_past_retention(harness: Harness):
    """A year's retention. 小红's opinion was rated 400 days ago: its text, what the timeline
    quotes and the messages about it go, and so does her name, nothing else of hers being
    recent. 小明's opinion closed ten days ago keeps everything. 老李 only came to a reception
    that ended 400 days ago: his name and what he wanted to raise there go; 老赵 has signed up
    for the coming one and keeps his name. The counts for the statistics stay."""
    names = ("小红", "小明", "老李", "老赵")  # as they call themselves; the bot greets each
    users = {
        name: harness.fake.user(user_id=7_400_002 + n, first_name="小红", language_code="zh-hans")
        for n, name in enumerate(names)
    }
    for user in users.values():
        await register_in_haide(harness, user)
    await submit(harness, users["小红"], OPINION)
    await submit(harness, users["小明"], "第二条：公园的长椅坏了。")
    await harness.outbox_settled()
    past = await schedule(harness, START + timedelta(days=2))
    coming = await schedule(harness, START + timedelta(days=3))
    sessions = harness.app.sessionmaker
    long_ago = START - timedelta(days=400)
    async with sessions.begin() as session:
        residents = dict(
            zip(
                names,
                (await session.scalars(select(Resident).order_by(Resident.id))).all(),
                strict=True,
            )
        )
        for name, resident in residents.items():
            resident.display_name, resident.created_at = name, long_ago
            resident.phone = "13800000000"
        for name, reception, topic in (("老李", past, "想问加装电梯"), ("老赵", coming, "停车难")):
            session.add(
                ReceptionSignup(
                    reception_id=reception,
                    resident_id=residents[name].id,
                    status=SignupStatus.CONFIRMED,
                    code=f"R{reception}",
                    topic=topic,
                    show_name=True,
                    queued_at=START,
                    updated_at=START,
                )
            )
        await session.execute(
            update(Reception)
            .where(Reception.id == past)
            .values(starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))
        )
        first, second = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        for ticket in (first, second):
            for action, detail in zip(QUOTING, QUOTED, strict=True):
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id, at=START, actor="deputy", action=action, detail=detail
                    )
                )
            session.add(
                Attachment(
                    ticket_id=ticket.id,
                    kind="photo",
                    file_id=f"photo-{ticket.id}",
                    caption="路灯",
                    address="7400002",
                    receipt="9",
                    created_at=START,
                )
            )
        await session.execute(
            update(Ticket)
            .where(Ticket.id == first.id)
            .values(status=TicketStatus.RATED, closed_at=long_ago, rating_comment="态度很好")
        )
        await session.execute(
            update(Ticket)
            .where(Ticket.id == second.id)
            .values(status=TicketStatus.CLOSED, closed_at=START - timedelta(days=10))
        )

    purged = await purge(sessions, START - timedelta(days=365))
    assert (purged.tickets, purged.names, purged.signups) == (1, 2, 1)
    assert await purge(sessions, START - timedelta(days=365)) == Purged(0, 0, 0)  # cron again

    async with sessions() as session:
        old, recent = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        details: dict[int, list[dict[str, object]]] = {}
        for event in await session.scalars(
            select(TicketEvent).where(TicketEvent.action.in_(QUOTING)).order_by(TicketEvent.id)
        ):
            details.setdefault(event.ticket_id, []).append(event.detail)
        messages = {
            m.ticket_id: m.payload["text"]
            for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }
        kept = {r.id: (r.display_name, r.phone) for r in await session.scalars(select(Resident))}
        photos = list(await session.scalars(select(Attachment.ticket_id)))
        topics = {
            s.reception_id: (s.topic, s.status)
            for s in await session.scalars(select(ReceptionSignup))
        }
    assert (old.text, old.rating_comment, old.status) == ("", None, TicketStatus.RATED)
    assert old.area_id is not None and old.deputy_group_id is not None
    assert details[old.id] == [{"by": "王建国"}, {}, {"to": "2025-12-01"}]
    assert messages[old.id] == ""
    assert photos == [recent.id]
    assert recent.text == "第二条：公园的长椅坏了。"
    assert details[recent.id][1]["text"] == "补充：晚上十点以后最吵"
    assert "公园的长椅" in messages[recent.id]
    assert {name: kept[r.id] for name, r in residents.items()} == {
        "小红": ("", None),
        "小明": ("小明", "13800000000"),
        "老李": ("", None),
        "老赵": ("老赵", "13800000000"),
    }
    assert topics == {
        past: (None, SignupStatus.CONFIRMED),
        coming: ("停车难", SignupStatus.CONFIRMED),
    }


def test_purge_command_reads_an_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/purge.sqlite3")
    assert main(["migrate"]) == 0
    assert main(["purge", "--older-than", "2y"]) == 0
    with pytest.raises(SystemExit):
        main(["purge", "--older-than", "two years"])
    assert (
        "0 ticket(s) concluded before 730 days ago anonymised, 0 resident name(s) and 0 "
        "reception sign-up topic(s) removed"
    ) in capsys.readouterr().out
