"""A shared location → the area whose boundary contains it (shapely), the innermost one when
boundaries nest (a community inside its street)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, AreaKind

DEPTH = {AreaKind.DISTRICT: 0, AreaKind.STREET: 1, AreaKind.COMMUNITY: 2, AreaKind.GRID: 3}


async def area_at(session: AsyncSession, longitude: float, latitude: float) -> Area | None:
    """The innermost active area whose boundary holds the point; None outside every one (the
    sea, another city)."""
    # shapely brings numpy (about 15 MB a process): imported only when a location is shared.
    from shapely.geometry import Point, shape

    point = Point(longitude, latitude)
    areas = await session.scalars(
        select(Area).where(Area.active.is_(True), Area.boundary.is_not(None))
    )
    holding = [area for area in areas if area.boundary and shape(area.boundary).covers(point)]
    return max(holding, key=lambda area: DEPTH[area.kind], default=None)


async def any_boundary(session: AsyncSession) -> bool:
    """Whether the directory draws any boundary, so that a location can be matched at all."""
    found = await session.scalar(
        select(Area.id).where(Area.active.is_(True), Area.boundary.is_not(None)).limit(1)
    )
    return found is not None
