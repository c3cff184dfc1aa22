"""recipients and contacts: channel-neutral outbox, processed updates per bot

The outbox is addressed to recipients (a resident, a deputy group) instead of chat ids; the
Telegram ids of residents, deputies and groups move to `contacts`; the outbox records where a
message went and the channel's id of it (which replaces `message_links`); an edit points at
the row it replaces; processed update ids are kept per bot.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENT_KIND = sa.Enum(
    "resident",
    "deputy_group",
    "deputy",
    "staff",
    name="recipientkind",
    native_enum=False,
    length=32,
)
PURPOSE = sa.Enum(
    "card", "card_update", "reply", "status", name="outboxpurpose", native_enum=False, length=32
)
# Where the Telegram ids lived before: (table, column, recipient kind).
TELEGRAM_IDS = (
    ("residents", "telegram_user_id", "resident"),
    ("deputies", "telegram_user_id", "deputy"),
    ("deputy_groups", "chat_id", "deputy_group"),
)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_kind", RECIPIENT_KIND, nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint(
            "channel", "recipient_kind", "address", name=op.f("uq_contacts_channel")
        ),
        sa.UniqueConstraint(
            "recipient_kind", "recipient_id", "channel", name=op.f("uq_contacts_recipient_kind")
        ),
    )
    for table, column, kind in TELEGRAM_IDS:
        op.execute(
            f"INSERT INTO contacts (recipient_kind, recipient_id, channel, address) "
            f"SELECT '{kind}', id, 'telegram', CAST({column} AS VARCHAR(64)) FROM {table} "
            f"WHERE {column} IS NOT NULL"
        )

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("recipient_kind", RECIPIENT_KIND, nullable=True))
        batch.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("receipt", sa.String(length=64), nullable=True))
    for table, column, kind in TELEGRAM_IDS[::2]:  # residents and groups receive messages
        match = f"SELECT t.id FROM {table} t WHERE t.{column} = outbox.chat_id"
        op.execute(
            f"UPDATE outbox SET recipient_kind = '{kind}', recipient_id = ({match}) "
            f"WHERE recipient_kind IS NULL AND EXISTS ({match})"
        )
    # A row for a chat nobody is known by any more stays visible as failed, with the reason.
    op.execute(
        "UPDATE outbox SET recipient_kind = 'resident', recipient_id = 0, status = 'failed', "
        "last_error = 'its chat belonged to no resident or group when recipients were "
        "introduced (migration 0002)' WHERE recipient_kind IS NULL"
    )
    op.execute(
        "UPDATE outbox SET address = CAST(chat_id AS VARCHAR(64)), "
        "receipt = CAST(sent_message_id AS VARCHAR(64)) WHERE sent_message_id IS NOT NULL"
    )
    _point_edits_at_the_rows_they_replace()
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("recipient_kind", existing_type=RECIPIENT_KIND, nullable=False)
        batch.alter_column("recipient_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("purpose", existing_type=sa.String(length=32), type_=PURPOSE)
        batch.drop_column("chat_id")
        batch.drop_column("thread_id")
        batch.drop_column("sent_message_id")
        batch.create_foreign_key(
            op.f("fk_outbox_replaces_id_outbox"), "outbox", ["replaces_id"], ["id"]
        )
        batch.create_index(
            "ix_outbox_recipient", ["recipient_kind", "recipient_id", "status"], unique=False
        )
        batch.create_index("ix_outbox_receipt", ["address", "receipt"], unique=False)

    op.drop_table("message_links")
    for table, column, _ in TELEGRAM_IDS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)

    with op.batch_alter_table("ticket_events") as batch:
        batch.alter_column("actor", existing_type=sa.String(length=16), type_=sa.String(length=32))

    # Processed update ids are short-lived (a redelivery comes within minutes): start afresh.
    op.drop_table("processed_updates")
    op.create_table(
        "processed_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_updates")),
    )


def _point_edits_at_the_rows_they_replace() -> None:
    """An edit named the message id it replaced in its payload; now it names the row."""
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("chat_id", sa.BigInteger()),
        sa.column("payload", sa.JSON()),
        sa.column("sent_message_id", sa.BigInteger()),
        sa.column("replaces_id", sa.Integer()),
        sa.column("purpose", sa.String()),
    )
    connection = op.get_bind()
    edits = connection.execute(
        sa.select(outbox.c.id, outbox.c.chat_id, outbox.c.payload).where(
            outbox.c.purpose == "card_update"
        )
    )
    for row_id, chat_id, payload in list(edits):
        replaced = connection.scalar(
            sa.select(outbox.c.id).where(
                outbox.c.chat_id == chat_id,
                outbox.c.sent_message_id == (payload or {}).get("replaces"),
                outbox.c.purpose == "card",
            )
        )
        connection.execute(
            sa.update(outbox).where(outbox.c.id == row_id).values(replaces_id=replaced)
        )


def downgrade() -> None:
    op.drop_table("processed_updates")
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    with op.batch_alter_table("ticket_events") as batch:
        batch.alter_column("actor", existing_type=sa.String(length=32), type_=sa.String(length=16))
    for table, column, kind in TELEGRAM_IDS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=True))
            batch.create_unique_constraint(op.f(f"uq_{table}_{column}"), [column])
        op.execute(
            f"UPDATE {table} SET {column} = (SELECT CAST(c.address AS BIGINT) FROM contacts c "
            f"WHERE c.recipient_kind = '{kind}' AND c.recipient_id = {table}.id "
            f"AND c.channel = 'telegram')"
        )
    op.create_table(
        "message_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_message_links_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_links")),
        sa.UniqueConstraint("chat_id", "message_id", name=op.f("uq_message_links_chat_id")),
    )
    with op.batch_alter_table("message_links") as batch:
        batch.create_index(batch.f("ix_message_links_ticket_id"), ["ticket_id"], unique=False)
    op.execute(
        "INSERT INTO message_links (ticket_id, chat_id, message_id, purpose) "
        "SELECT ticket_id, CAST(address AS BIGINT), CAST(receipt AS BIGINT), purpose "
        "FROM outbox WHERE purpose = 'card' AND receipt IS NOT NULL AND ticket_id IS NOT NULL"
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("sent_message_id", sa.BigInteger(), nullable=True))
    for table, column, kind in TELEGRAM_IDS[::2]:
        op.execute(
            f"UPDATE outbox SET chat_id = (SELECT t.{column} FROM {table} t "
            f"WHERE t.id = outbox.recipient_id) WHERE recipient_kind = '{kind}'"
        )
    op.execute("UPDATE outbox SET sent_message_id = CAST(receipt AS BIGINT)")
    op.execute("UPDATE outbox SET chat_id = 0 WHERE chat_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_receipt")
        batch.drop_index("ix_outbox_recipient")
        batch.drop_constraint(op.f("fk_outbox_replaces_id_outbox"), type_="foreignkey")
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("purpose", existing_type=PURPOSE, type_=sa.String(length=32))
        batch.drop_column("receipt")
        batch.drop_column("address")
        batch.drop_column("replaces_id")
        batch.drop_column("recipient_id")
        batch.drop_column("recipient_kind")
    op.drop_table("contacts")
