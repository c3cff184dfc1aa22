"""relayed messages

A deputy's message passed on to a resident (and a resident's answer passed on to the group),
with the outbox row that carried it, so an edit is passed on as an edit.

Revision ID: 0006_relays
Revises: 0005_deputies
Create Date: 2026-11-30 06:44:09.872507
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_relays"
down_revision: str | None = "0005_deputies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relayed_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputies.id"], name=op.f("fk_relayed_messages_deputy_id_deputies")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_relayed_messages_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_relayed_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayed_messages")),
        sa.UniqueConstraint("address", "receipt", name=op.f("uq_relayed_messages_address")),
    )
    with op.batch_alter_table("relayed_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relayed_messages_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("relayed_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayed_messages_ticket_id"))

    op.drop_table("relayed_messages")
