"""Telegram may deliver an update twice; each update id is handled once."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def claim_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """True the first time; the claim commits with the work the update causes, so a failed
    update can be redelivered and a concurrent duplicate fails on the primary key."""
    if await session.get(ProcessedUpdate, update_id) is not None:
        return False
    session.add(ProcessedUpdate(update_id=update_id, processed_at=now))
    return True
