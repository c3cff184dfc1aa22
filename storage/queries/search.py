"""The search condition over tickets' text, per database (see `storage.search`)."""

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket
from storage.search import FTS_TABLE

TRIGRAM = 3  # the shortest text a trigram index can look up


def text_matches(session: AsyncSession, words: str) -> ColumnElement[bool]:
    """Tickets whose text contains `words` (as typed, case-insensitive); the words are always
    a bound parameter."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(words) >= TRIGRAM:
        phrase = '"' + words.replace('"', '""') + '"'
        matching = (
            select(text("rowid"))
            .select_from(text(FTS_TABLE))
            .where(text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase))
        )
        return Ticket.id.in_(matching)
    # PostgreSQL: ILIKE is served by the pg_trgm GIN index; SQLite: too short for trigrams.
    return Ticket.text.icontains(words, autoescape=True)
