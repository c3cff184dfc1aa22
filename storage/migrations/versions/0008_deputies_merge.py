"""one line again: the deputies' revisions (departments, prompts, bind codes, relayed messages,
group chats and forum threads) and the panel's and receptions' of the same wave

Revision ID: 0008_merge
Revises: 0006, 0007_forum
Create Date: 2026-11-30 08:05:00.000000
"""

from collections.abc import Sequence

revision: str = "0008_merge"
down_revision: tuple[str, ...] = ("0006", "0007_forum")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
