"""Data retention (`python -m bot purge --older-than AGE`): tickets concluded more than AGE
ago lose what people wrote (see `storage.queries.retention.anonymise`) and keep what the
statistics count; residents whom nothing of the retention period still concerns lose their
name, and receptions that ended before it what residents signed up to raise. Safe to run from
cron: what is anonymised is not touched again, and two runs at once take different rows."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.workflow import CLOSED
from storage.models import TicketStatus
from storage.queries.retention import (
    anonymise,
    concluded_before,
    forget_names,
    forget_signup_topics,
)

log = logging.getLogger(__name__)

# Concluded for good: closed (resolved or not resolvable), rated, or merged into another.
CONCLUDED = CLOSED | {TicketStatus.RATED, TicketStatus.MERGED}


@dataclass(frozen=True)
class Purged:
    tickets: int  # anonymised
    names: int  # residents' names removed
    signups: int  # reception sign-ups whose topic was removed


async def purge(sessionmaker: async_sessionmaker[AsyncSession], before: datetime) -> Purged:
    """Everything past retention: the tickets first, so their residents' names can follow."""
    tickets = await purge_concluded(sessionmaker, before)
    signups = await _in_batches(sessionmaker, lambda s: forget_signup_topics(s, before))
    names = await _in_batches(sessionmaker, lambda s: forget_names(s, before))
    log.info("removed %d resident name(s) and %d sign-up topic(s)", names, signups)
    return Purged(tickets, names, signups)


async def _in_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    batch: Callable[[AsyncSession], Awaitable[int]],
) -> int:
    done = 0
    while True:
        async with sessionmaker.begin() as session:
            count = await batch(session)
        if not count:
            return done
        done += count


async def purge_concluded(sessionmaker: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Anonymises the tickets concluded before `before`, a batch per transaction; how many."""

    async def batch(session: AsyncSession) -> int:
        tickets = await concluded_before(session, CONCLUDED, before)
        if tickets:
            await anonymise(session, tickets)
            log.info("anonymised %d ticket(s) concluded before %s", len(tickets), before.date())
        return len(tickets)

    return await _in_batches(sessionmaker, batch)
