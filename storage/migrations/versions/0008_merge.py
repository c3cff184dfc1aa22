"""one line again: the inbox's indexes and the receptions' outcomes

Revision ID: 0008
Revises: 0007_inbox_indexes, 0007_reception_outcomes
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: tuple[str, ...] = ("0007_inbox_indexes", "0007_reception_outcomes")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
