"""deputies work from their group chat

Departments a ticket is forwarded to, the questions a card button asks before its step is
taken, and the one-time codes that bind a group chat to a deputy group.

Revision ID: 0005_deputies
Revises: 0004
Create Date: 2026-11-30 06:30:59.223400
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_deputies"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_departments_code")),
    )
    op.create_table(
        "bind_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_in", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["deputy_groups.id"], name=op.f("fk_bind_codes_group_id_deputy_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bind_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_bind_codes_code_hash")),
    )
    op.create_table(
        "deputy_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputies.id"], name=op.f("fk_deputy_prompts_deputy_id_deputies")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_deputy_prompts_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_deputy_prompts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputy_prompts")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_deputy_prompts_outbox_id")),
    )
    with op.batch_alter_table("deputy_prompts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deputy_prompts_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deputy_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deputy_prompts_ticket_id"))

    op.drop_table("deputy_prompts")
    op.drop_table("bind_codes")
    op.drop_table("departments")
