"""one line again: the delivery, inbound and closed-loop revisions of the same wave

Revision ID: 0004
Revises: 0003_delivery, 0003_inbound, 0003_loop
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: tuple[str, ...] = ("0003_delivery", "0003_inbound", "0003_loop")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
