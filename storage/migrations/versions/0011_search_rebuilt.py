"""the tickets' search index made again: on SQLite, a later revision of the drafts' branch
rebuilt the tickets table (batch mode), which dropped the full-text triggers of 0005_panel, so
new tickets were no longer found by search

Revision ID: 0011
Revises: 0010_merge
"""

from alembic import op

from storage import search

revision: str = "0011"
down_revision: str | None = "0010_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search.drop(op.get_bind())
    search.create(op.get_bind())


def downgrade() -> None:
    pass  # the index of 0005_panel stays; 0005_panel's downgrade removes it
