"""The panel's server-side sessions in the database (used when there is no Redis)."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PanelSession


async def load(session: AsyncSession, key: str, now: datetime) -> dict[str, Any] | None:
    row = await session.scalar(select(PanelSession).where(PanelSession.key == key))
    return row.data if row is not None and row.expires_at > now else None


async def save(session: AsyncSession, key: str, data: dict[str, Any], expires: datetime) -> None:
    row = await session.get(PanelSession, key)
    if row is None:
        session.add(PanelSession(key=key, data=data, expires_at=expires))
    else:
        row.data, row.expires_at = data, expires


async def forget(session: AsyncSession, key: str) -> None:
    await session.execute(delete(PanelSession).where(PanelSession.key == key))


async def prune(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(PanelSession).where(PanelSession.expires_at <= now))
