"""Which deputy group handles an item: the group covering the resident's area, or the
nearest one up the area tree (community → street → district)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, DeputyGroup, deputy_group_areas


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


async def route_ticket(session: AsyncSession, area_id: int | None) -> DeputyGroup | None:
    for area in reversed(await area_path(session, area_id)):
        group = await session.scalar(
            select(DeputyGroup)
            .join(deputy_group_areas, deputy_group_areas.c.group_id == DeputyGroup.id)
            .where(deputy_group_areas.c.area_id == area.id)
            .order_by(DeputyGroup.id)
            .limit(1)
        )
        if group is not None:
            return group
    return None
