"""Residents (选民/群众): registration, language and area."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Resident


async def resident_by_telegram(session: AsyncSession, user_id: int) -> Resident | None:
    return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def register_telegram_resident(
    session: AsyncSession, user_id: int, display_name: str, locale: str, now: datetime
) -> Resident:
    resident = await resident_by_telegram(session, user_id)
    if resident is None:
        resident = Resident(
            telegram_user_id=user_id, display_name=display_name, locale=locale, created_at=now
        )
        session.add(resident)
        await session.flush()
    elif resident.display_name != display_name:
        resident.display_name = display_name
    return resident
