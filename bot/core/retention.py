"""Data retention (`python -m bot purge --older-than AGE`): tickets concluded more than AGE
ago lose what people wrote (see `storage.queries.retention.anonymise`) and keep what the
statistics count. Safe to run from cron: an anonymised ticket is not touched again, and two
runs at once take different tickets."""

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.workflow import CLOSED
from storage.models import TicketStatus
from storage.queries.retention import anonymise, concluded_before

log = logging.getLogger(__name__)

# Concluded for good: closed (resolved or not resolvable), rated, or merged into another.
CONCLUDED = CLOSED | {TicketStatus.RATED, TicketStatus.MERGED}


async def purge_concluded(sessionmaker: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Anonymises the tickets concluded before `before`, a batch per transaction; how many."""
    purged = 0
    while True:
        async with sessionmaker.begin() as session:
            batch = await concluded_before(session, CONCLUDED, before)
            if batch:
                await anonymise(session, batch)
        if not batch:
            break
        purged += len(batch)
        log.info("anonymised %d ticket(s) concluded before %s", len(batch), before.date())
    return purged
