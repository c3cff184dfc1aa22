"""one line again: the deputies' merge revision and the inbox indexes' and receptions'
outcomes' merge revision

Revision ID: 0009_merge
Revises: 0008_merge, 0008
Create Date: 2026-11-30 08:24:00.000000
"""

from collections.abc import Sequence

revision: str = "0009_merge"
down_revision: tuple[str, ...] = ("0008_merge", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
