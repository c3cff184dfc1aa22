"""Which deputy group handles a ticket, and why.

Going up the area tree from the ticket's area (community → street → district), at each level a
rule naming the ticket's category wins over a rule for the area alone (a routing rule without a
category, or a group that covers the area). If no level has a rule, the fallback group (兜底) of
the innermost station located in the path takes it, or that station's first group. Nothing
found: the ticket waits for staff triage (待分派), never nowhere. Inactive groups, and groups
that already said "not ours", are passed over.
"""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, DeputyGroup, RoutingRule, Station, deputy_group_areas
from storage.queries.areas import area_path


@dataclass(frozen=True)
class RouteDecision:
    group: DeputyGroup | None
    rule: str  # why, for the ticket's timeline: "category jb-hd/housing", "area jb-hd-hx", …


def _by_rule(area: Area, category_id: int | None) -> Select[tuple[DeputyGroup]]:
    return (
        select(DeputyGroup)
        .join(RoutingRule, RoutingRule.group_id == DeputyGroup.id)
        .where(RoutingRule.area_id == area.id, RoutingRule.category_id == category_id)
        .order_by(RoutingRule.position, RoutingRule.id)
    )


def _covering(area: Area) -> Select[tuple[DeputyGroup]]:
    return (
        select(DeputyGroup)
        .join(deputy_group_areas, deputy_group_areas.c.group_id == DeputyGroup.id)
        .where(deputy_group_areas.c.area_id == area.id)
        .order_by(DeputyGroup.id)
    )


def _of_station_in(area: Area) -> Select[tuple[DeputyGroup]]:
    return (
        select(DeputyGroup)
        .join(Station, Station.id == DeputyGroup.station_id)
        .where(Station.area_id == area.id, Station.active.is_(True))
        .order_by(DeputyGroup.fallback.desc(), DeputyGroup.id)
    )


async def route_ticket(
    session: AsyncSession,
    area_id: int | None,
    category_id: int | None = None,
    passed_over: frozenset[int] = frozenset(),
) -> RouteDecision:
    path = list(reversed(await area_path(session, area_id)))  # innermost first

    async def first(query: Select[tuple[DeputyGroup]]) -> DeputyGroup | None:
        groups = await session.scalars(query.where(DeputyGroup.active.is_(True)))
        return next((g for g in groups if g.id not in passed_over), None)

    for area in path:
        candidates = [(_covering(area), f"area {area.code}")]
        candidates.insert(0, (_by_rule(area, None), f"area {area.code}"))
        if category_id is not None:
            candidates.insert(0, (_by_rule(area, category_id), f"category {area.code}"))
        for query, rule in candidates:
            if (group := await first(query)) is not None:
                return RouteDecision(group, rule)
    for area in path:
        if (group := await first(_of_station_in(area))) is not None:
            return RouteDecision(group, f"fallback of the station in {area.code}")
    return RouteDecision(None, "no rule matches")
