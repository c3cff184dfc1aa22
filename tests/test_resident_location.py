"""An area from a shared location: matched to the innermost area whose GeoJSON boundary (in
the directory file, checked with shapely) contains it; a point outside every area gets a
clear answer and the buttons; a broken boundary is refused with its line."""

from typing import Any

import pytest
from sqlalchemy import select

from bot.core.directory import DirectoryError, parse_directory
from storage.models import Area, Resident
from tests.support.harness import DEMO_DIRECTORY, Harness
from tests.support.stories import register_in_haide

HEXIANG = (30.02, 120.01)  # latitude, longitude: inside 和祥社区's rectangle
LIUHU = (30.07, 120.07)  # 柳湖社区, 望仙街道
IN_THE_SEA = (29.5, 122.5)


async def area_of(harness: Harness) -> str | None:
    async with harness.app.sessionmaker() as session:
        resident = await session.scalar(select(Resident).order_by(Resident.id.desc()))
        assert resident is not None
        area = await session.get(Area, resident.area_id) if resident.area_id else None
        return area.code if area else None


async def test_a_shared_location_sets_the_area_of_a_new_resident(harness: Harness):
    resident = harness.fake.user(user_id=5801, first_name="小红", language_code="zh-hans")
    await resident.send_text("/start")
    picker = await harness.bot_says(resident.id, "请选择您所在的区（县）")
    assert "也可以发送您的位置" in picker["text"]
    await resident.send_location(*HEXIANG)
    answer = await harness.bot_says(resident.id, "您所在的区域：江滨区 海德街道 和祥社区。")
    assert "请写下您的意见建议" in answer["text"]
    assert await area_of(harness) == "jb-hd-hx"


async def test_a_location_in_the_sea_gets_a_clear_answer_and_the_buttons(harness: Harness):
    resident = harness.fake.user(user_id=5802, first_name="Anna", language_code="en")
    await resident.send_text("路灯坏了。")  # a draft, kept while the area is chosen
    await harness.bot_says(resident.id, "What you wrote is kept.")
    await resident.send_location(*IN_THE_SEA)
    answer = await harness.bot_says(resident.id, "This place is outside the areas served here.")
    assert "Which district do you live in?" in answer["text"]
    assert await area_of(harness) is None
    await pick_in_english(harness, resident, answer)
    await harness.bot_says(resident.id, "Noted (1 message")


async def pick_in_english(harness: Harness, resident: Any, picker: dict[str, Any]) -> None:
    await harness.press(resident, picker, "Jiangbin District")
    picker = await harness.bot_says(resident.id, "Please choose your street (township):")
    await harness.press(resident, picker, "Haide Street")
    picker = await harness.bot_says(resident.id, "Please choose your community (village):")
    await harness.press(resident, picker, "Hexiang Community")


async def test_a_location_elsewhere_is_offered_not_imposed_on_a_resident_with_an_area(
    harness: Harness,
):
    resident = harness.fake.user(user_id=5803, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_location(*LIUHU)
    offer = await harness.bot_says(resident.id, "该位置属于江滨区 望仙街道 柳湖社区。")
    assert await area_of(harness) == "jb-hd-hx"
    await harness.press(resident, offer, "设为我的所在区域")
    await harness.bot_says(resident.id, "您所在的区域：江滨区 望仙街道 柳湖社区。")
    assert await area_of(harness) == "jb-wx-lh"


def test_a_boundary_that_is_no_polygon_is_refused_with_its_line():
    demo = DEMO_DIRECTORY.read_text(encoding="utf-8")
    broken = demo.replace(
        "  qs-bs-lt: {type: Polygon, coordinates: [[[120.15, 30.05],",
        "  qs-bs-lt: {type: Polygon, coordinates: [[[120.15, 30.05], [120.2, 30.1],",
        1,
    ).replace("boundaries:\n", "boundaries:\n  nowhere: {type: Point, coordinates: [1, 2]}\n", 1)
    with pytest.raises(DirectoryError) as refused:
        parse_directory(broken, source="demo.yaml")
    lines = broken.splitlines()
    nowhere = lines.index("  nowhere: {type: Point, coordinates: [1, 2]}") + 1
    crossed = next(n for n, text in enumerate(lines, 1) if text.startswith("  qs-bs-lt:"))
    assert refused.value.problems[0] == (
        f"demo.yaml:{nowhere}: boundaries.nowhere: no area has the code 'nowhere'"
    )
    assert refused.value.problems[1].startswith(
        f"demo.yaml:{crossed}: boundaries.qs-bs-lt: not a valid polygon: Self-intersection"
    )
