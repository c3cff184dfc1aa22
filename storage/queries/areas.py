"""The area tree: district → street/township → community."""

from sqlalchemy import bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Area

# Built once (an alias made per call costs its columns' proxies anew): the area and its
# ancestors with their distance from it.
_UP = (
    select(Area.id, Area.parent_id, literal(0).label("depth"))
    .where(Area.id == bindparam("area_id"))
    .cte("up", recursive=True)
)
_PARENT = aliased(Area, name="parent")
_UP = _UP.union_all(
    select(_PARENT.id, _PARENT.parent_id, _UP.c.depth + 1).join(_UP, _PARENT.id == _UP.c.parent_id)
)
_PATH = select(Area).join(_UP, Area.id == _UP.c.id).order_by(_UP.c.depth.desc())


async def area_path(session: AsyncSession, area_id: int | None) -> list[Area]:
    """The area and its ancestors, outermost first (district, street, community): one query
    up the tree, not one per level."""
    if area_id is None:
        return []
    return list(await session.scalars(_PATH, {"area_id": area_id}))


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
