"""The directory file: loads, loads again without changes, and a broken file loads nothing."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.directory import DirectoryError, load_directory, parse_directory
from storage.models import Area, Deputy, DeputyGroup, Station
from storage.queries.areas import area_path
from tests.support.harness import DEMO_DIRECTORY

DEMO = DEMO_DIRECTORY.read_text(encoding="utf-8")


async def count(session: AsyncSession, model: type) -> int:
    return (await session.scalar(select(func.count()).select_from(model))) or 0


async def test_the_demo_directory_loads_and_a_second_load_changes_nothing(session: AsyncSession):
    first = await load_directory(session, parse_directory(DEMO))
    await session.commit()
    assert first.created == {
        "areas": 15,
        "stations": 4,
        "deputy_groups": 5,
        "deputies": 9,
        "categories": 9,
        "departments": 5,
        "routing_rules": 2,
        "deadline_policies": 2,
        "calendar_days": 1,
    }
    second = await load_directory(session, parse_directory(DEMO))
    await session.commit()
    assert not second.changed, second.summary()
    assert await count(session, Area) == 15
    assert await count(session, Deputy) == 9


async def test_a_changed_entry_is_updated_in_place(session: AsyncSession):
    await load_directory(session, parse_directory(DEMO))
    await session.commit()
    renamed = DEMO.replace("name: 海德街道第二代表小组", "name: 海德街道新桥代表小组")
    moved = renamed.replace("groups: [g-nh, g-hd-1]", "groups: [g-nh]")
    report = await load_directory(session, parse_directory(moved))
    await session.commit()
    assert report.created == {}
    assert report.updated == {"deputy_groups": 1, "deputies": 1}
    group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-2"))
    assert group is not None and group.name == "海德街道新桥代表小组"
    huang = await session.scalar(select(Deputy).where(Deputy.code == "d-huang-wei"))
    assert huang is not None
    await session.refresh(huang, attribute_names=["groups"])
    assert [g.code for g in huang.groups] == ["g-nh"]


def test_a_broken_file_is_refused_naming_every_line_and_key():
    broken = DEMO.replace("station: st-wx", "station: st-nowhere").replace(
        "chat_id: -1001000000102", "chat_id: -1001000000101"
    )
    with pytest.raises(DirectoryError) as refused:
        parse_directory(broken, source="demo.yaml")
    lines = broken.splitlines()
    second_chat = [n for n, text in enumerate(lines, 1) if text == "    chat_id: -1001000000101"][1]
    station_line = lines.index("    station: st-nowhere") + 1
    assert refused.value.problems == [
        f"demo.yaml:{second_chat}: deputy_groups[1].chat_id: "
        "'-1001000000101' appears more than once",
        f"demo.yaml:{station_line}: deputy_groups[2].station: no station has the code 'st-nowhere'",
        # The station's night-time receptions name it too.
        f"demo.yaml:{lines.index('    station: st-nowhere', station_line) + 1}: "
        "receptions[2].station: no station has the code 'st-nowhere'",
    ]


def test_a_missing_key_and_a_bad_kind_are_reported_with_their_lines():
    text = "areas:\n  - code: x\n    kind: planet\n    name: 某地\n  - code: y\n    kind: street\n"
    with pytest.raises(DirectoryError) as refused:
        parse_directory(text, source="f.yaml")
    assert refused.value.problems == [
        "f.yaml:3: areas[0].kind: Input should be 'district', 'street', 'community' or 'grid'",
        "f.yaml:5: areas[1].name: Field required",
    ]


def test_yaml_syntax_errors_name_the_line():
    with pytest.raises(DirectoryError) as refused:
        parse_directory("areas:\n  - code: [x\n", source="f.yaml")
    assert refused.value.problems[0].startswith("f.yaml:3: not valid YAML")


async def test_a_refused_file_loads_nothing(session: AsyncSession):
    with pytest.raises(DirectoryError):
        parse_directory(DEMO.replace("area: qs-bs\n", "area: qs-zz\n"))
    assert await count(session, Area) == 0
    assert await count(session, Station) == 0


async def test_entries_removed_from_the_file_are_deactivated_not_deleted(session: AsyncSession):
    await load_directory(session, parse_directory(DEMO))
    await session.commit()
    without_g_hd_2 = (
        DEMO.replace("  - {area: jb-hd, category: housing, group: g-hd-2}\n", "")
        .replace("  - {area: jb-hd-ys, category: transport, group: g-hd-2}\n", "")
        .replace("groups: [g-hd-2]}", "groups: [g-hd-1]}")
        .replace("routing:\n", "routing: []\n")
    )
    cut = without_g_hd_2.index("  - code: g-hd-2")
    without_g_hd_2 = without_g_hd_2[:cut] + without_g_hd_2[without_g_hd_2.index("  - code: g-wx") :]
    report = await load_directory(session, parse_directory(without_g_hd_2))
    await session.commit()
    assert report.updated == {"deputy_groups": 1, "deputies": 1, "routing_rules": 2}
    group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == "g-hd-2"))
    assert group is not None and not group.active
    again = await load_directory(session, parse_directory(DEMO))
    await session.commit()
    assert again.updated == {"deputy_groups": 1, "deputies": 1}
    assert again.created == {"routing_rules": 2}


async def test_an_areas_path_runs_from_its_district_down_to_it(session: AsyncSession):
    await load_directory(session, parse_directory(DEMO))
    await session.commit()
    community = await session.scalar(select(Area).where(Area.name == "和祥社区"))
    assert community is not None
    session.expunge_all()  # read from the database, not from what the load left in hand
    path = await area_path(session, community.id)
    assert [area.name for area in path] == ["江滨区", "海德街道", "和祥社区"]
    district = path[0]
    assert [area.name for area in await area_path(session, district.id)] == ["江滨区"]
    assert await area_path(session, None) == []
    assert await area_path(session, -1) == []
