"""Ticket numbers and routing, at unit level on both databases."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.routing import route_ticket
from bot.core.tickets import ticket_number
from storage.models import Area


async def test_numbers_count_up_per_prefix_and_restart_each_year(session: AsyncSession):
    numbers = [await ticket_number(session, "A", 2026) for _ in range(3)]
    numbers.append(await ticket_number(session, "B", 2026))
    numbers.append(await ticket_number(session, "A", 2027))
    await session.commit()
    assert numbers == [
        "A-2026-000001",
        "A-2026-000002",
        "A-2026-000003",
        "B-2026-000001",
        "A-2027-000001",
    ]


async def area(session: AsyncSession, code: str) -> Area:
    found = await session.scalar(select(Area).where(Area.code == code))
    assert found is not None
    return found


async def test_routing_picks_the_group_of_the_area_or_the_nearest_above(
    session: AsyncSession, directory_loaded: None
):
    async def group_for(code: str) -> str | None:
        group = await route_ticket(session, (await area(session, code)).id)
        return group.code if group else None

    assert await group_for("jb-hd-hx") == "g-hd-1"
    assert await group_for("jb-hd-xq") == "g-hd-2"
    assert await group_for("jb-wx-lh") == "g-wx"  # the group covers the whole street
    assert await group_for("jb-wx") == "g-wx"
    # No group covers the street as a whole: the street's station takes it.
    assert await group_for("jb-hd") == "g-hd-1"
    assert await group_for("qs-bs") == "g-bs"
    assert await group_for("jb") is None  # no station at district level: staff will assign
