"""Telegram may deliver an update again with the same update_id: it is processed once."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, Ticket
from storage.queries.inbound import claim_update
from tests.support.harness import Harness
from tests.support.stories import (
    HAIDE_GROUP_1,
    NAMELESS,
    NOT_SURE,
    OPINION,
    press_submit,
    register_in_haide,
)


async def test_a_redelivered_submit_does_not_make_a_second_ticket(harness: Harness):
    fake = harness.fake
    resident = fake.user(user_id=5101, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    query_id = await press_submit(harness, resident, prompt)
    await harness.bot_says(resident.id, "已收到。")
    await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    await harness.updates_handled()  # the press's acknowledgement comes after the card
    press = next(u for u in fake.updates() if u.get("callback_query", {}).get("id") == query_id)
    text = next(u for u in fake.updates() if u.get("message", {}).get("text") == OPINION)
    requests_before = len(fake.requests)

    fake.redeliver(press["update_id"])
    fake.redeliver(text["update_id"])
    await fake.wait_for(lambda: fake.pending_updates() == [])
    # A fresh update afterwards proves the redelivered ones were read and passed over.
    await resident.send_text("/help")
    await harness.bot_says(resident.id, "/area：更改所在区域")

    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        processed = await session.scalars(
            select(InboundUpdate.update_id).where(InboundUpdate.status == InboundStatus.DONE)
        )
        assert {press["update_id"], text["update_id"]} <= set(processed)
    answered = [r.method for r in fake.requests[requests_before:] if r.method != "getUpdates"]
    assert answered == ["sendMessage"]  # only the answer to /help
    assert len([m for m in fake.bot_messages(HAIDE_GROUP_1) if "意见建议（A-" in m["text"]]) == 1


async def test_pressing_submit_twice_makes_one_ticket(harness: Harness):
    resident = harness.fake.user(user_id=5102, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text(OPINION)
    prompt = await harness.bot_says(resident.id, "已记下（共1条")
    await harness.press(resident, prompt, "提交")
    question = await harness.bot_says(resident.id, "请选择意见建议的类别")
    await harness.press(resident, question, NOT_SURE)
    question = await harness.bot_says(resident.id, "是否向人大代表公开您的姓名")
    await harness.press(resident, question, NAMELESS)
    second = await harness.press(resident, question, NAMELESS)
    await harness.fake.wait_for(lambda: second in harness.fake.callback_answers)
    assert harness.fake.callback_answers[second].text == "没有待提交的内容（已提交或已取消）。"
    async with harness.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1


async def test_update_ids_are_kept_per_bot(session: AsyncSession, clock: FrozenClock):
    assert await claim_update(session, 111, 42, {"update_id": 42}, clock.now())
    assert not await claim_update(session, 111, 42, {"update_id": 42}, clock.now())
    # Another token's update 42 (or Telegram's numbering restarted) is new work, not a repeat.
    assert await claim_update(session, 222, 42, {"update_id": 42}, clock.now())
    await session.commit()
