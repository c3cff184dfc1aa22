"""Ticket numbers: one counter per prefix and year, incremented atomically in the database."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TicketCounter


async def next_number(session: AsyncSession, prefix: str, year: int) -> int:
    """The next number of the prefix in the year, starting at 1; safe under concurrency (an
    upsert that returns the new value)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TicketCounter)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.prefix, TicketCounter.year],
            set_={"last": TicketCounter.last + 1},
        )
        .returning(TicketCounter.last)
    )
    return int((await session.execute(statement)).scalar_one())
