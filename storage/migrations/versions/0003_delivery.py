"""delivery that loses nothing: unreachable contacts, parts of split messages

A contact the channel refused for good (a resident who blocked the bot) keeps when, the cause
and the channel's words, so later messages to it fail at once with that reason; a message the
channel had to split keeps every further part, so a reply to any part finds its ticket.

Revision ID: 0003_delivery
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_delivery"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("unreachable_cause", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("unreachable_reason", sa.Text(), nullable=True))
    op.create_table(
        "outbox_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_parts_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_parts")),
        sa.UniqueConstraint("address", "receipt", name=op.f("uq_outbox_parts_address")),
    )
    op.create_index(op.f("ix_outbox_parts_outbox_id"), "outbox_parts", ["outbox_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_parts_outbox_id"), table_name="outbox_parts")
    op.drop_table("outbox_parts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("unreachable_reason")
        batch.drop_column("unreachable_cause")
        batch.drop_column("unreachable_at")
