"""The area tree: district → street/township → community."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area


async def area_path(session: AsyncSession, area_id: int | None) -> list[Area]:
    """The area and its ancestors, outermost first (district, street, community)."""
    path: list[Area] = []
    while area_id is not None:
        area = await session.get(Area, area_id)
        if area is None:
            break
        path.insert(0, area)
        area_id = area.parent_id
    return path


async def areas_under(session: AsyncSession, parent_id: int | None) -> list[Area]:
    """The active areas one level below parent_id (the districts when it is None), in the
    directory file's order."""
    return list(
        await session.scalars(
            select(Area)
            .where(Area.parent_id == parent_id, Area.active.is_(True))
            .order_by(Area.position, Area.id)
        )
    )
