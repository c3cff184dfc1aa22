"""inbound updates: recorded before they are confirmed, processed from the record

Every update is recorded (raw JSON, received at, status, attempts, last error) before the
channel is told it arrived, and processed from that record; the record also says that an
update was processed, so `processed_updates` folds into it (its ids are kept as done).

Revision ID: 0003_inbound
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inbound"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum("pending", "done", "failed", name="inboundstatus", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_inbound_updates")),
    )
    op.create_index(
        "ix_inbound_updates_status", "inbound_updates", ["status", "bot_id", "update_id"]
    )
    op.create_index("ix_inbound_updates_processed_at", "inbound_updates", ["processed_at"])
    op.execute(
        "INSERT INTO inbound_updates (bot_id, update_id, payload, received_at, status, "
        "attempts, processed_at) SELECT bot_id, update_id, '{}', processed_at, 'done', 1, "
        "processed_at FROM processed_updates"
    )
    op.drop_table("processed_updates")


def downgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_updates")),
    )
    op.execute(
        "INSERT INTO processed_updates (bot_id, update_id, processed_at) "
        "SELECT bot_id, update_id, processed_at FROM inbound_updates WHERE status = 'done'"
    )
    op.drop_index("ix_inbound_updates_processed_at", table_name="inbound_updates")
    op.drop_index("ix_inbound_updates_status", table_name="inbound_updates")
    op.drop_table("inbound_updates")
