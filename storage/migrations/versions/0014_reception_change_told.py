"""reception history: how many residents each change was announced to

Revision ID: 0014_reception_change_told
Revises: 0013_reception_history
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_reception_change_told"
down_revision: str | None = "0013_reception_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Unknown (NULL) for the changes recorded before it was counted.
    op.add_column("reception_changes", sa.Column("told", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reception_changes") as table:
        table.drop_column("told")
