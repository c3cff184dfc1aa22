"""one line again: the staff panel's and the receptions' revisions of the same wave

Revision ID: 0006
Revises: 0005_panel, 0005_receptions
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: tuple[str, ...] = ("0005_panel", "0005_receptions")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
