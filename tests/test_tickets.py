"""Ticket numbers and routing, at unit level on both databases."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.routing import route_ticket
from bot.core.tickets import ticket_number
from storage.models import Area, Category, DeputyGroup


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


@pytest.mark.parametrize(
    ("area_code", "category", "passed_over", "group", "rule"),
    [
        # a group covering the community
        ("jb-hd-hx", None, (), "g-hd-1", "area jb-hd-hx"),
        # at the same level, a rule naming the category beats the area-only one
        ("jb-hd-ys", "transport", (), "g-hd-2", "category jb-hd-ys"),
        ("jb-hd-ys", "health", (), "g-hd-1", "area jb-hd-ys"),
        # community beats street: the community's group, though the street has a housing rule
        ("jb-hd-hx", "housing", (), "g-hd-1", "area jb-hd-hx"),
        # street-level rules: the housing rule, and a group covering the whole street
        ("jb-hd", "housing", (), "g-hd-2", "category jb-hd"),
        ("jb-wx-lh", None, (), "g-wx", "area jb-wx"),
        # no rule on the way up: the fallback group of the street's station
        ("jb-hd", None, (), "g-hd-1", "fallback of the station in jb-hd"),
        ("qs-bs", None, (), "g-bs", "area qs-bs"),
        # "not ours": the groups that had it are passed over
        ("jb-hd-hx", None, ("g-hd-1",), "g-hd-2", "fallback of the station in jb-hd"),
        # nothing at all: staff triage
        ("jb", None, (), None, "no rule matches"),
        ("jb-hd-hx", None, ("g-hd-1", "g-hd-2"), None, "no rule matches"),
    ],
)
async def test_the_most_specific_routing_rule_wins(
    session: AsyncSession,
    directory_loaded: None,
    area_code: str,
    category: str | None,
    passed_over: tuple[str, ...],
    group: str | None,
    rule: str,
):
    category_id = category and await session.scalar(
        select(Category.id).where(Category.code == category)
    )
    skipped = frozenset(
        await session.scalars(select(DeputyGroup.id).where(DeputyGroup.code.in_(passed_over)))
    )
    decision = await route_ticket(
        session, (await area(session, area_code)).id, category_id, skipped
    )
    assert (decision.group.code if decision.group else None, decision.rule) == (group, rule)


async def test_an_inactive_group_receives_no_new_tickets(
    session: AsyncSession, directory_loaded: None
):
    g_hd_1 = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-1"))
    g_hd_1.active = False
    decision = await route_ticket(session, (await area(session, "jb-hd-hx")).id)
    assert decision.group is not None and decision.group.code == "g-hd-2"
