"""one line again: the drafts revision joins the panel's and receptions' merge

Revision ID: 0007_merge
Revises: 0006, 0005_drafts
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0007_merge"
down_revision: tuple[str, ...] = ("0006", "0005_drafts")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
