"""reports: each ticket's first response, answer and last rating, read off its timeline (and
kept as the timeline is written from now on); a mark for the public results page; the
dashboards' indexes

Revision ID: 0012_reports
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_reports"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_COLUMNS = [
    "deputy_group_id",
    "category_id",
    "status",
    "last_rating",
    "reopen_count",
    "overdue_since",
    "first_response_at",
    "answered_at",
]
DEPUTY = sa.text("actor = 'deputy'")
# The timeline already written, by the rules of `bot.core.timeline.record`.
FIRST_RESPONSE = """
UPDATE tickets SET first_response_at = (
    SELECT min(e.at) FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND (e.actor = 'deputy' OR e.action = 'staff_replied'))
"""
ANSWERED = """
UPDATE tickets SET answered_at = (
    SELECT min(e.at) FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.action = 'status_changed'
      AND {to} IN ('answered', 'closed', 'unresolvable'))
"""
LAST_RATING = """
UPDATE tickets SET last_rating = (
    SELECT {rating} FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND {rating} IS NOT NULL ORDER BY e.id DESC LIMIT 1)
"""


def json_field(name: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"e.detail->>'{name}'"
    return f"json_extract(e.detail, '$.{name}')"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_response_at", sa.DateTime(timezone=True)))
    op.add_column("tickets", sa.Column("answered_at", sa.DateTime(timezone=True)))
    op.add_column("tickets", sa.Column("last_rating", sa.String(32)))
    op.add_column(
        "tickets",
        sa.Column("publishable", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(FIRST_RESPONSE)
    op.execute(ANSWERED.format(to=json_field("to")))
    op.execute(LAST_RATING.format(rating=json_field("rating")))
    op.create_index(
        "ix_tickets_report_area",
        "tickets",
        ["area_id", "created_at"],
        postgresql_include=REPORT_COLUMNS,
    )
    op.create_index(
        "ix_tickets_report_period", "tickets", ["created_at"], postgresql_include=REPORT_COLUMNS
    )
    op.create_index(
        "ix_ticket_events_deputy",
        "ticket_events",
        ["actor_id", "at"],
        postgresql_where=DEPUTY,
        sqlite_where=DEPUTY,
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_events_deputy", "ticket_events")
    op.drop_index("ix_tickets_report_period", "tickets")
    op.drop_index("ix_tickets_report_area", "tickets")
    for column in ("publishable", "last_rating", "answered_at", "first_response_at"):
        with op.batch_alter_table("tickets") as batch_op:
            batch_op.drop_column(column)
