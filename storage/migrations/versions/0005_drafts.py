"""drafts: an opinion not yet submitted, kept in the database instead of the FSM storage;
tickets.resident_named: whether the resident let the deputies see their name;
areas.boundary: a GeoJSON polygon, to match a shared location to its area

Revision ID: 0005_drafts
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_drafts"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("resident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("intake_key", sa.String(length=64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("resumed_at", sa.Integer(), nullable=True),
        sa.Column("comment_for", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_drafts_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_drafts")),
    )

    with op.batch_alter_table("areas") as areas:
        areas.add_column(sa.Column("boundary", sa.JSON(), nullable=True))
    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(
            sa.Column("resident_named", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as tickets:
        tickets.drop_column("resident_named")
    with op.batch_alter_table("areas") as areas:
        areas.drop_column("boundary")
    op.drop_table("drafts")
