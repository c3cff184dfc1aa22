"""inbox and public page indexes: overdue tickets with their state (counted from the index),
a group's tickets by deadline, closed tickets not rated, and a station's year of tickets and
its publishable ones for the public results page

Revision ID: 0015_inbox_public_indexes
Revises: 0014_reception_change_told
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_inbox_public_indexes"
down_revision: str | None = "0014_reception_change_told"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERDUE = sa.text("overdue_since IS NOT NULL")
UNRATED = sa.text("rating IS NULL")
# The columns the public page's figures read (`bot.core.public`, `storage.queries.reports`).
FIGURES = [
    "category_id",
    "status",
    "last_rating",
    "reopen_count",
    "overdue_since",
    "first_response_at",
    "answered_at",
]


def upgrade() -> None:
    op.drop_index("ix_tickets_overdue_created", "tickets")
    op.create_index(
        "ix_tickets_overdue_open",
        "tickets",
        ["created_at", "id", "status"],
        postgresql_where=OVERDUE,
        sqlite_where=OVERDUE,
    )
    op.create_index("ix_tickets_group_due", "tickets", ["deputy_group_id", "answer_due", "id"])
    op.create_index(
        "ix_tickets_unrated", "tickets", ["status"], postgresql_where=UNRATED, sqlite_where=UNRATED
    )
    op.create_index(
        "ix_tickets_group_period",
        "tickets",
        ["deputy_group_id", "created_at"],
        postgresql_include=FIGURES,
    )
    op.create_index(
        "ix_tickets_published",
        "tickets",
        ["deputy_group_id", "created_at"],
        postgresql_where=sa.text("publishable IS true"),
        sqlite_where=sa.text("publishable IS 1"),
    )


def downgrade() -> None:
    for name in (
        "ix_tickets_published",
        "ix_tickets_group_period",
        "ix_tickets_unrated",
        "ix_tickets_group_due",
        "ix_tickets_overdue_open",
    ):
        op.drop_index(name, "tickets")
    op.create_index(
        "ix_tickets_overdue_created",
        "tickets",
        ["created_at"],
        postgresql_where=OVERDUE,
        sqlite_where=OVERDUE,
    )
