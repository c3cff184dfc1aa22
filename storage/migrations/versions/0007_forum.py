"""forum topics and group chats

What the bot may do in each deputy group's chat (a forum whose topics it manages, seeing all
messages, removed), and the thread (forum topic) each delivered message went to.

Revision ID: 0007_forum
Revises: 0006_relays
Create Date: 2026-11-30 06:53:34.304959
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_forum"
down_revision: str | None = "0006_relays"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("forum", sa.Boolean(), nullable=False),
        sa.Column("manages_topics", sa.Boolean(), nullable=False),
        sa.Column("sees_all_messages", sa.Boolean(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["deputy_groups.id"], name=op.f("fk_group_chats_group_id_deputy_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_chats")),
        sa.UniqueConstraint("group_id", name=op.f("uq_group_chats_group_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("thread")

    op.drop_table("group_chats")
