"""one line again: the drafts' merge and the reception outcomes

Revision ID: 0008_merge
Revises: 0007_merge, 0007_reception_outcomes
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0008_merge"
down_revision: tuple[str, ...] = ("0007_merge", "0007_reception_outcomes")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
