"""Staff clear a queue in the panel while the bot runs against the fake Bot API: every step
they take is a core step, and the resident hears each one in Telegram."""

import re

import pytest
from aiohttp import web
from sqlalchemy import select

from storage.models import DeputyGroup, StaffRole, Ticket
from tests.support.harness import Harness
from tests.support.panel import Browser, browser, make_staff
from tests.support.stories import HAIDE_GROUP_2, OPINION, register_in_haide, submit


async def street_staff(harness: Harness, panel: web.Application) -> Browser:
    await make_staff(
        harness.app.sessionmaker, harness.app.clock, "li", StaffRole.STREET, ("jb-hd",)
    )
    client = await browser(panel)
    assert (await client.log_in("li")).status == 303
    return client


async def group_id(harness: Harness, code: str) -> str:
    async with harness.app.sessionmaker() as session:
        return str(await session.scalar(select(DeputyGroup.id).where(DeputyGroup.code == code)))


def number_in(message: dict) -> str:
    found = re.search(r"A-\d{4}-\d{6}", message["text"])
    assert found
    return found.group(0)


async def test_staff_triage_a_ticket_to_closed_and_the_resident_hears_each_step(
    harness: Harness, panel: web.Application
):
    resident = harness.fake.user(user_id=5301, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    number = number_in(await submit(harness, resident, OPINION))
    staff = await street_staff(harness, panel)

    inbox = await (await staff.get("/inbox")).text()
    assert f"/tickets/{number}" in inbox
    page = await (await staff.get(f"/tickets/{number}")).text()
    assert "和祥社区3号楼门口的路灯坏了" in page and "小红" in page

    await staff.post(f"/tickets/{number}/priority", {"priority": "urgent"})
    await staff.post(f"/tickets/{number}/note", {"text": "已电话联系社区，待核实。"})
    second = await group_id(harness, "g-hd-2")
    assert (await staff.post(f"/tickets/{number}/assign", {"group": second})).status == 303
    await harness.bot_says(resident.id, "海德街道第二代表小组")
    await harness.bot_says(HAIDE_GROUP_2, f"意见建议（{number}）")

    await staff.get(f"/tickets/{number}")
    await staff.post(f"/tickets/{number}/reply", {"text": "已转请第二代表小组办理，请耐心等待。"})
    heard = await harness.bot_says(resident.id, "代表联络站对您的意见建议")
    assert "已转请第二代表小组办理" in heard["text"]

    reason = "该路段路灯改造已列入明年计划。"
    await staff.post(f"/tickets/{number}/close", {"reason": reason})
    await harness.bot_says(resident.id, reason)
    await harness.bot_says(resident.id, "请您对办理情况进行满意度测评")

    page = await (await staff.get(f"/tickets/{number}")).text()
    assert "已办结" in page and "已电话联系社区，待核实。" in page  # the note, for staff only
    assert not any("待核实" in m.get("text", "") for m in harness.fake.bot_messages(resident.id))
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.priority == "urgent" and ticket.close_reason == reason
    await staff.close()


async def test_a_merge_and_a_bulk_escalation(harness: Harness, panel: web.Application):
    first = harness.fake.user(user_id=5401, first_name="小红", language_code="zh-hans")
    second = harness.fake.user(user_id=5402, first_name="小红", language_code="zh-hans")
    third = harness.fake.user(user_id=5403, first_name="小红", language_code="zh-hans")
    numbers = []
    for resident in (first, second, third):
        await register_in_haide(harness, resident)
        numbers.append(number_in(await submit(harness, resident, OPINION)))
    staff = await street_staff(harness, panel)

    page = await (await staff.get(f"/tickets/{numbers[1]}")).text()
    assert f"/tickets/{numbers[0]}" in page  # suggested as similar
    merged = await staff.post(f"/tickets/{numbers[1]}/merge", {"into": numbers[0]})
    assert merged.status == 303
    await harness.bot_says(second.id, f"与{numbers[0]}")

    await staff.get("/inbox")
    form = [("ticket", numbers[0]), ("ticket", numbers[2]), ("action", "escalate")]
    form.append(("kind", "recess_suggestion"))
    assert (await staff.post("/inbox/bulk", form)).status == 303
    for resident in (first, third):
        await harness.bot_says(resident.id, "闭会期间意见建议")
    flashed = await (await staff.get("/inbox")).text()
    assert "共2件，已完成2件。" in flashed
    await staff.close()


async def test_a_suggestion_gathers_tickets_and_its_answer_reaches_every_resident(
    harness: Harness, panel: web.Application
):
    residents = [
        harness.fake.user(user_id=5601 + i, first_name="小红", language_code="zh-hans")
        for i in range(2)
    ]
    numbers = []
    for resident in residents:
        await register_in_haide(harness, resident)
        numbers.append(number_in(await submit(harness, resident, OPINION)))
    staff = await street_staff(harness, panel)
    await staff.get("/inbox")
    form = [("ticket", n) for n in numbers] + [
        ("action", "suggest"),
        ("title", "关于和祥社区路灯统一改造的建议"),
        ("department", "区城市管理局"),
        ("text", "多位居民反映路灯损坏，建议统一改造。"),
        ("due", "2026-12-31"),
    ]
    made = await staff.post("/inbox/bulk", form)
    assert made.status == 303 and made.headers["Location"].startswith("/suggestions/")
    for resident in residents:
        await harness.bot_says(resident.id, "闭会期间意见建议")
    page = await (await staff.get(made.headers["Location"])).text()
    assert all(f"/tickets/{n}" in page for n in numbers)

    answer = "区城市管理局已将和祥社区路灯改造列入明年一季度计划。"
    answered = await staff.post(f"{made.headers['Location']}/answer", {"text": answer})
    assert answered.status == 303
    for resident, number in zip(residents, numbers, strict=True):
        heard = await harness.bot_says(resident.id, answer)
        assert f"您的意见建议（{number}）已纳入" in heard["text"]
    again = await staff.post(f"{made.headers['Location']}/answer", {"text": "再答一次"})
    assert again.status == 303
    assert "再答一次" not in str(harness.fake.bot_messages(residents[0].id))
    await staff.close()


async def test_merged_residents_hear_the_outcome_of_the_surviving_ticket(
    harness: Harness, panel: web.Application
):
    first = harness.fake.user(user_id=5701, first_name="小红", language_code="zh-hans")
    second = harness.fake.user(user_id=5702, first_name="小红", language_code="zh-hans")
    numbers = []
    for resident in (first, second):
        await register_in_haide(harness, resident)
        numbers.append(number_in(await submit(harness, resident, OPINION)))
    staff = await street_staff(harness, panel)
    await staff.get(f"/tickets/{numbers[1]}")
    await staff.post(f"/tickets/{numbers[1]}/merge", {"into": numbers[0]})
    await harness.bot_says(second.id, f"与{numbers[0]}")
    await staff.get(f"/tickets/{numbers[0]}")
    reason = "该路段路灯改造已列入明年计划。"
    await staff.post(f"/tickets/{numbers[0]}/close", {"reason": reason})
    await harness.bot_says(first.id, reason)
    heard = await harness.bot_says(second.id, reason)
    assert f"您的意见建议（{numbers[1]}）与意见建议（{numbers[0]}）合并办理" in heard["text"]
    await staff.close()


@pytest.mark.parametrize("outbox_poll_seconds", [3600.0])
async def test_a_staff_answer_wakes_the_senders_instead_of_waiting_for_their_poll(
    harness: Harness, panel: web.Application
):
    """With the senders polling once an hour, only the panel's commit can wake them."""
    resident = harness.fake.user(user_id=5302, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    number = number_in(await submit(harness, resident, OPINION))
    staff = await street_staff(harness, panel)

    await staff.get(f"/tickets/{number}")
    await staff.post(f"/tickets/{number}/reply", {"text": "已联系社区，本周内修复。"})
    heard = await harness.bot_says(resident.id, "代表联络站对您的意见建议")
    assert "已联系社区，本周内修复。" in heard["text"]
    await staff.close()
