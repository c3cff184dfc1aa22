"""one line again: the drafts' branch joins main's merged heads

Revision ID: 0010_merge
Revises: 0009_merge, 0007_merge
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0010_merge"
down_revision: tuple[str, ...] = ("0009_merge", "0007_merge")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
