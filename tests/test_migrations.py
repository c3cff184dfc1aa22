"""Migrations build the whole schema from empty on both databases, matching the models."""

import json
import logging
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from storage.db import create_engine, open_database
from storage.migrate import upgrade_async
from storage.models import (
    Base,
    Contact,
    OutboxMessage,
    OutboxStatus,
    RecipientKind,
    Ticket,
)
from storage.queries.outbox import ticket_of_delivered
from storage.schema import MigrationFailed, heads, status_apart, upgrade_apart
from storage.search import include_name, is_search_object

TABLES = {
    "areas",
    "stations",
    "deputy_groups",
    "deputy_group_areas",
    "deputy_group_members",
    "deputies",
    "categories",
    "departments",
    "deputy_prompts",
    "bind_codes",
    "relayed_messages",
    "group_chats",
    "residents",
    "drafts",
    "tickets",
    "attachments",
    "ticket_events",
    "ticket_counters",
    "outbox",
    "outbox_parts",
    "contacts",
    "inbound_updates",
    "routing_rules",
    "deadline_policies",
    "calendar_days",
    "ticket_reminders",
    "digests_sent",
    "staff_members",
    "staff_streets",
    "staff_invitations",
    "panel_sessions",
    "audit_log",
    "saved_filters",
    "suggestions",
    "response_templates",
    "suggestion_tickets",
    "receptions",
    "reception_duties",
    "reception_signups",
    "reception_subscriptions",
    "reception_changes",
    "reception_reminders",
    "reception_tickets",
    "reception_requests",
    "report_days",
    "report_area_days",
    "report_waits",
    "alembic_version",
}


async def test_migrations_from_empty_build_the_schema_the_models_describe(database_url: str):
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": include_name}),
                Base.metadata,
            )
        )
    await engine.dispose()
    assert {table for table in tables if not is_search_object(table, "table")} == TABLES
    assert differences == []


async def test_recipients_migration_keeps_addresses_deliveries_and_edits(empty_database_url: str):
    """0001 → 0002: Telegram ids move to contacts, outbox rows find their recipients, a sent
    card keeps the link a reply needs, and an edit points at the card it replaces."""
    url = empty_database_url
    await upgrade_async(url, "0001")
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in (
            "INSERT INTO areas (id, code, name, kind, position) "
            "VALUES (1, 'a', '区', 'district', 0)",
            "INSERT INTO stations (id, code, name, area_id) VALUES (1, 's', '站', 1)",
            "INSERT INTO deputy_groups (id, code, name, station_id, chat_id) "
            "VALUES (1, 'g', '组', 1, -100123)",
            "INSERT INTO deputies (id, code, name, telegram_user_id) VALUES (1, 'd', '王', 700)",
            "INSERT INTO residents (id, telegram_user_id, display_name, locale, created_at) "
            "VALUES (1, 5001, '李小红', 'zh_Hans', '2026-11-23 10:30:00+00')",
            "INSERT INTO tickets (id, number, resident_id, text, status, created_at, updated_at) "
            "VALUES (1, 'A-2026-000001', 1, '路灯坏了', 'answered', '2026-11-23 10:30:00+00', "
            "'2026-11-23 10:30:00+00')",
            "INSERT INTO tickets (id, number, resident_id, deputy_group_id, text, status, "
            "created_at, updated_at) VALUES (2, 'A-2026-000002', 1, 1, '井盖松了', 'new', "
            "'2026-11-23 10:30:00+00', '2026-11-23 10:30:00+00')",
            "INSERT INTO tickets (id, number, resident_id, text, status, created_at, updated_at) "
            "VALUES (3, 'A-2026-000003', 1, '全区公交太少', 'new', '2026-11-23 10:30:00+00', "
            "'2026-11-23 10:30:00+00')",
        ):
            await connection.execute(text(statement))
        outbox = (
            "INSERT INTO outbox (id, created_at, chat_id, payload, ticket_id, purpose, status, "
            "attempts, next_attempt_at, sent_message_id) VALUES (:id, '2026-11-23 10:30:00+00', "
            ":chat, :payload, 1, :purpose, :status, 1, '2026-11-23 10:30:00+00', :sent)"
        )
        for row in (
            (1, -100123, {"text": "card"}, "card", "sent", 42),
            (2, 5001, {"text": "reply"}, "reply", "sent", 43),
            (3, -100123, {"text": "card 2", "replaces": 42}, "card_update", "pending", None),
            (4, 999, {"text": "to nobody"}, "status", "pending", None),
        ):
            row_id, chat, payload, purpose, status, sent = row
            await connection.execute(
                text(outbox),
                {
                    "id": row_id,
                    "chat": chat,
                    "payload": json.dumps(payload),
                    "purpose": purpose,
                    "status": status,
                    "sent": sent,
                },
            )
    await engine.dispose()

    await upgrade_async(url)

    async with open_database(url) as sessions, sessions() as session:
        contacts = await session.scalars(select(Contact).order_by(Contact.id))
        assert [(c.recipient_kind, c.recipient_id, c.channel, c.address) for c in contacts] == [
            (RecipientKind.RESIDENT, 1, "telegram", "5001"),
            (RecipientKind.DEPUTY, 1, "telegram", "700"),
            (RecipientKind.DEPUTY_GROUP, 1, "telegram", "-100123"),
        ]
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [(r.recipient_kind, r.recipient_id, r.address, r.receipt) for r in rows[:3]] == [
            (RecipientKind.DEPUTY_GROUP, 1, "-100123", "42"),
            (RecipientKind.RESIDENT, 1, "5001", "43"),
            (RecipientKind.DEPUTY_GROUP, 1, None, None),
        ]
        assert rows[2].replaces_id == 1
        assert rows[3].status == OutboxStatus.FAILED and "migration 0002" in rows[3].last_error
        ticket = await ticket_of_delivered(session, "-100123", "42")
        assert ticket is not None and ticket.number == "A-2026-000001"
        # 0003: the two states of before become the first steps of the loop.
        statuses = await session.scalars(select(Ticket.status).order_by(Ticket.id))
        assert list(statuses) == ["answered", "assigned", "awaiting_triage"]


def test_the_head_read_from_the_files_is_alembics():
    """`storage.schema.heads` reads the migrations' files without Alembic (the merges of
    parallel branches included); Alembic's script directory must agree."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(""))
    assert heads() == tuple(sorted(script.get_heads()))
    assert len(heads()) == 1


def test_a_child_process_migrates_and_tells_where_the_schema_stands(
    empty_database_url: str, caplog: pytest.LogCaptureFixture
):
    before = status_apart(empty_database_url)
    assert before.current is None and not before.up_to_date
    assert before.pending[0].startswith("0001 ")

    with caplog.at_level(logging.INFO, logger="storage.schema"):
        after = upgrade_apart(empty_database_url)

    assert after.up_to_date and after.current == heads()[0] and after.pending == ()
    # Alembic's lines reach this process's log (in its format), not a stream of their own.
    assert any("Running upgrade" in record.getMessage() for record in caplog.records)
    assert status_apart(empty_database_url) == after


def test_a_child_that_cannot_reach_the_database_fails_saying_so(caplog: pytest.LogCaptureFixture):
    unreachable = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    with caplog.at_level(logging.ERROR, logger="storage.schema"), pytest.raises(MigrationFailed):
        status_apart(unreachable)
    assert any("Error" in record.getMessage() for record in caplog.records)


def test_the_long_running_processes_do_not_load_alembic():
    """`run`, the roles and the staff panel migrate in a child: Alembic stays out of their
    memory (8 MB kept for the process's life)."""
    imports = (
        "import sys, bot.cli, bot.runners.serve, bot.runners.status, bot.runners.polling, "
        "bot.runners.webhook, admin.app; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", imports], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
