"""attachments, the resident's phone, and who sent each inbound update

What a resident sends with an opinion besides words (kept by file id and by where it was
written, to be copied to the deputies; a draft's newest album, answered once), the phone
number a resident may share, and the sender of each recorded update, so that /forget deletes a
person's raw updates too.

Revision ID: 0012_media
Revises: 0012_reports
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012_media"
down_revision: str | None = "0012_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sender(payload: Any) -> int | None:
    if isinstance(payload, str):
        payload = json.loads(payload)
    for value in payload.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return int(value["from"]["id"])
    return None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("album", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_attachments_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_ticket_id"), "attachments", ["ticket_id"])
    op.add_column("residents", sa.Column("phone", sa.String(length=32), nullable=True))
    op.add_column("drafts", sa.Column("album", sa.JSON(), nullable=True))
    op.add_column("inbound_updates", sa.Column("sender", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_inbound_updates_sender"), "inbound_updates", ["sender"])
    inbound = sa.table(
        "inbound_updates",
        sa.column("bot_id", sa.BigInteger()),
        sa.column("update_id", sa.BigInteger()),
        sa.column("payload", sa.JSON()),
        sa.column("sender", sa.BigInteger()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(inbound.c.bot_id, inbound.c.update_id, inbound.c.payload))
    for bot_id, update_id, payload in rows.all():
        sender = _sender(payload)
        if sender is not None:
            connection.execute(
                sa.update(inbound)
                .where(inbound.c.bot_id == bot_id, inbound.c.update_id == update_id)
                .values(sender=sender)
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_updates_sender"), table_name="inbound_updates")
    with op.batch_alter_table("inbound_updates") as batch_op:
        batch_op.drop_column("sender")
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_column("album")
    with op.batch_alter_table("residents") as batch_op:
        batch_op.drop_column("phone")
    op.drop_index(op.f("ix_attachments_ticket_id"), table_name="attachments")
    op.drop_table("attachments")
