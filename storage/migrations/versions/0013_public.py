"""public results page: what each deputy agreed to publish about themselves

Revision ID: 0013_public
Revises: 0012_media
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_public"
down_revision: str | None = "0012_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deputies", sa.Column("public_profile", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("deputies") as batch_op:
        batch_op.drop_column("public_profile")
