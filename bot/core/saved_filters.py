"""Inbox filters a staff member keeps under a name."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SavedFilter, StaffMember

MAX_NAME = 100


async def saved(session: AsyncSession, member: StaffMember) -> list[SavedFilter]:
    return list(
        await session.scalars(
            select(SavedFilter).where(SavedFilter.staff_id == member.id).order_by(SavedFilter.id)
        )
    )


async def save(session: AsyncSession, member: StaffMember, name: str, query: str) -> None:
    name = name.strip()[:MAX_NAME]
    if name:
        session.add(SavedFilter(staff_id=member.id, name=name, query=query[:1000]))


async def forget(session: AsyncSession, member: StaffMember, filter_id: int) -> None:
    await session.execute(
        delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.staff_id == member.id)
    )
