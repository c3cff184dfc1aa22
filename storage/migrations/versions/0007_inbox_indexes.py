"""inbox indexes: tickets by area (a street's scope), and overdue tickets oldest first

Revision ID: 0007_inbox_indexes
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_inbox_indexes"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERDUE = sa.text("overdue_since IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_tickets_overdue_created",
            ["created_at"],
            unique=False,
            postgresql_where=OVERDUE,
            sqlite_where=OVERDUE,
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_overdue_created")
        batch_op.drop_index(batch_op.f("ix_tickets_area_id"))
