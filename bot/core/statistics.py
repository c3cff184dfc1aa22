"""Counts per station and state: what observers may see (no personal data)."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.scope import Scope
from storage.models import DeputyGroup, Station, Ticket


@dataclass
class StationCounts:
    station: str
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


async def statistics(session: AsyncSession, scope: Scope | None) -> list[StationCounts]:
    """Tickets per station (those no group holds under "—") and state; `scope` limits it."""
    query = (
        select(Station.name, Ticket.status, func.count())
        .select_from(Ticket)
        .outerjoin(DeputyGroup, Ticket.deputy_group_id == DeputyGroup.id)
        .outerjoin(Station, DeputyGroup.station_id == Station.id)
        .group_by(Station.name, Ticket.status)
        .order_by(Station.name)
    )
    if scope is not None:
        query = query.where(scope.tickets())
    rows: dict[str, StationCounts] = {}
    for station, status, count in await session.execute(query):
        name = station or "—"
        rows.setdefault(name, StationCounts(name)).by_status[status.value] = count
    return list(rows.values())
