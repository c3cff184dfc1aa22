"""closed loop: states, routing rules, deadlines

Tickets get the states of the closed loop (new → assigned or awaiting triage), who holds them,
ratings, deadlines and reminders; routing rules, deadline policies and calendar overrides join
the directory; directory entries can be deactivated instead of deleted.

Revision ID: 0003_loop
Revises: 0002
Create Date: 2026-11-30 04:24:59.341912
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_loop"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "deadline_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("acknowledge_days", sa.Integer(), nullable=False),
        sa.Column("answer_days", sa.Integer(), nullable=False),
        sa.Column("reopen_answer_days", sa.Integer(), nullable=False),
        sa.Column("extension_max_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_deadline_policies_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_policies")),
        sa.UniqueConstraint("category_id", name=op.f("uq_deadline_policies_category_id")),
    )
    op.create_table(
        "digests_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["deputy_groups.id"], name=op.f("fk_digests_sent_group_id_deputy_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests_sent")),
        sa.UniqueConstraint("group_id", "day", name=op.f("uq_digests_sent_group_id")),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_routing_rules_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_routing_rules_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["deputy_groups.id"],
            name=op.f("fk_routing_rules_group_id_deputy_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint(
            "area_id", "category_id", "group_id", name=op.f("uq_routing_rules_area_id")
        ),
    )
    op.create_table(
        "ticket_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_reminders_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_reminders")),
        sa.UniqueConstraint("ticket_id", "kind", "due", name=op.f("uq_ticket_reminders_ticket_id")),
    )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("deputy_groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fallback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_deputy_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("department", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("department_expected", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "escalation",
                sa.Enum(
                    "staff",
                    "recess_suggestion",
                    "summons",
                    "inquiry",
                    name="escalation",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("reroute_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "rating",
                sa.Enum(
                    "satisfied",
                    "fairly_satisfied",
                    "unsatisfied",
                    name="rating",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledge_due", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answer_due", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("extension_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_answer_due"), ["answer_due"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_merged_into_id_tickets"), "tickets", ["merged_into_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_holder_deputy_id_deputies"),
            "deputies",
            ["holder_deputy_id"],
            ["id"],
        )

    # The two states of before become the first steps of the loop.
    op.execute(
        "UPDATE tickets SET status = CASE WHEN deputy_group_id IS NULL "
        "THEN 'awaiting_triage' ELSE 'assigned' END WHERE status = 'new'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE tickets SET status = CASE WHEN status IN ('answered', 'closed', 'unresolvable', "
        "'rated', 'merged') THEN 'answered' ELSE 'new' END"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tickets_holder_deputy_id_deputies"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_tickets_merged_into_id_tickets"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_tickets_answer_due"))
        batch_op.drop_column("overdue_since")
        batch_op.drop_column("extension_reason")
        batch_op.drop_column("answer_due")
        batch_op.drop_column("acknowledge_due")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("reroute_count")
        batch_op.drop_column("escalation")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("close_reason")
        batch_op.drop_column("department_expected")
        batch_op.drop_column("department")
        batch_op.drop_column("holder_deputy_id")

    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("active")

    with op.batch_alter_table("deputy_groups", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("fallback")

    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.drop_column("active")

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("active")

    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_column("active")

    op.drop_table("ticket_reminders")
    op.drop_table("routing_rules")
    op.drop_table("digests_sent")
    op.drop_table("deadline_policies")
    op.drop_table("calendar_days")
