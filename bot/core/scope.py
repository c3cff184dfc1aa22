"""What a staff member may see: administrators everything; street staff the tickets of their
streets (raised in an area of the street, or held by a group of a station in it); observers
no ticket at all (statistics only)."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, DeputyGroup, StaffMember, StaffRole, Station, Ticket


@dataclass(frozen=True)
class Scope:
    everything: bool
    area_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()
    station_ids: frozenset[int] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.area_ids

    def tickets(self) -> ColumnElement[bool]:
        """The condition on tickets this scope allows."""
        if self.everything:
            return true()
        if self.nothing:
            return false()
        return or_(Ticket.area_id.in_(self.area_ids), Ticket.deputy_group_id.in_(self.group_ids))

    def allows(self, ticket: Ticket) -> bool:
        return self.everything or (
            ticket.area_id in self.area_ids or ticket.deputy_group_id in self.group_ids
        )


async def scope_of(session: AsyncSession, member: StaffMember) -> Scope:
    if member.role == StaffRole.ADMINISTRATOR:
        return Scope(everything=True)
    if member.role != StaffRole.STREET:
        return Scope(everything=False)
    areas = {area.id for area in member.streets}
    frontier = set(areas)
    while frontier:  # the street and every area below it
        children = set(await session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        frontier = children - areas
        areas |= frontier
    stations = set(await session.scalars(select(Station.id).where(Station.area_id.in_(areas))))
    groups = set(
        await session.scalars(select(DeputyGroup.id).where(DeputyGroup.station_id.in_(stations)))
    )
    return Scope(False, frozenset(areas), frozenset(groups), frozenset(stations))
