"""Telegram may deliver an update twice; each update id is handled once per bot."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def claim_update(session: AsyncSession, bot_id: int, update_id: int, now: datetime) -> bool:
    """True the first time; the claim commits with the work the update causes, so a failed
    update can be redelivered and a concurrent duplicate fails on the primary key. Ids are
    kept per bot: another token, or Telegram restarting its numbering, starts afresh."""
    if await session.get(ProcessedUpdate, (bot_id, update_id)) is not None:
        return False
    session.add(ProcessedUpdate(bot_id=bot_id, update_id=update_id, processed_at=now))
    return True
