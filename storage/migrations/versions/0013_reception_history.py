"""receptions: their history of changes, when a sign-up got its place, and claim codes of
issues raised by people who came without signing up

Revision ID: 0013_reception_history
Revises: 0013_public
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_reception_history"
down_revision: str | None = "0013_public"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reception_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reception_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reception_id"],
            ["receptions.id"],
            name=op.f("fk_reception_changes_reception_id_receptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_changes")),
    )
    op.create_index(
        op.f("ix_reception_changes_reception_id"), "reception_changes", ["reception_id"]
    )
    with op.batch_alter_table("reception_signups") as table:
        table.add_column(sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True))
    # Until now a place was given when the resident asked (or, for those moved up, later:
    # unknown, and the reminders treated it as when they asked).
    op.execute("UPDATE reception_signups SET placed_at = queued_at WHERE status = 'confirmed'")
    with op.batch_alter_table("reception_tickets") as table:
        table.add_column(sa.Column("claim_code", sa.String(length=8), nullable=True))
        table.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        table.create_unique_constraint(op.f("uq_reception_tickets_claim_code"), ["claim_code"])


def downgrade() -> None:
    with op.batch_alter_table("reception_tickets") as table:
        table.drop_constraint(op.f("uq_reception_tickets_claim_code"), type_="unique")
        table.drop_column("claimed_at")
        table.drop_column("claim_code")
    with op.batch_alter_table("reception_signups") as table:
        table.drop_column("placed_at")
    op.drop_index(op.f("ix_reception_changes_reception_id"), table_name="reception_changes")
    op.drop_table("reception_changes")
