"""Which deputy group handles an item. Going up the area tree from the resident's area
(community → street → district), the first area that has either a group covering it, or a
station located in it (whose first group then takes it), decides."""

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeputyGroup, Station, deputy_group_areas
from storage.queries.areas import area_path


def _covering(area_id: int) -> Select[tuple[DeputyGroup]]:
    return (
        select(DeputyGroup)
        .join(deputy_group_areas, deputy_group_areas.c.group_id == DeputyGroup.id)
        .where(deputy_group_areas.c.area_id == area_id)
    )


def _of_station_in(area_id: int) -> Select[tuple[DeputyGroup]]:
    return (
        select(DeputyGroup)
        .join(Station, Station.id == DeputyGroup.station_id)
        .where(Station.area_id == area_id)
    )


async def route_ticket(session: AsyncSession, area_id: int | None) -> DeputyGroup | None:
    for area in reversed(await area_path(session, area_id)):
        for query in (_covering(area.id), _of_station_in(area.id)):
            group = await session.scalar(query.order_by(DeputyGroup.id).limit(1))
            if group is not None:
                return group
    return None
