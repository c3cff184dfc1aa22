"""Failures around a handler's answer: the commit fails after the answer was ready, the answer
meets Telegram's flood control, an acknowledgement fails after the work was committed. What a
person is told matches what was kept. Over HTTP against the fake Bot API, on SQLite + memory
and on PostgreSQL + Redis."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from storage.models import Resident, Ticket, TicketEvent
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    OPINION,
    WANG_JIANGUO,
    answer_to,
    card_in_group,
    press_submit,
    register_in_haide,
    submit,
)

APOLOGY = "抱歉，系统暂时出现问题，请稍后再试。"


@contextmanager
def commits_fail_that_change_a_resident_s(attribute: str) -> Iterator[None]:
    """While inside, every commit of a transaction that changed a resident's `attribute`
    fails, as when the database goes away at that moment; other commits (the sender's, other
    updates') go through."""
    column = getattr(Resident, attribute)
    commit = AsyncSession.commit

    def changed(target: Resident, value: Any, old: Any, initiator: Any) -> None:
        session = object_session(target)
        if session is not None and value != old:
            session.info["resident changed"] = True

    async def failing_commit(self: AsyncSession) -> None:
        if self.info.pop("resident changed", False):
            raise ConnectionError("the database went away")
        await commit(self)

    event.listen(column, "set", changed)
    AsyncSession.commit = failing_commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        AsyncSession.commit = commit  # type: ignore[method-assign]
        event.remove(column, "set", changed)


async def resident_in_database(harness: Harness) -> Resident:
    async with harness.app.sessionmaker() as session:
        residents = list(await session.scalars(select(Resident)))
    assert len(residents) == 1, residents
    return residents[0]


def said(harness: Harness, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in harness.fake.bot_messages(chat_id)]


async def test_a_chosen_area_is_reported_only_once_it_is_saved(harness: Harness):
    resident = harness.fake.user(user_id=5201, first_name="小红", language_code="zh-hans")
    await resident.send_text("/start")
    picker = await harness.bot_says(resident.id, "请选择您所在的区（县）")
    await harness.press(resident, picker, "江滨区")
    picker = await harness.bot_says(resident.id, "请选择您所在的街道（乡镇）：")
    await harness.press(resident, picker, "海德街道")
    picker = await harness.bot_says(resident.id, "请选择您所在的社区（村）：")
    with commits_fail_that_change_a_resident_s("area_id"):
        answer = await answer_to(harness, await harness.press(resident, picker, "和祥社区"))
    assert answer.text == APOLOGY and answer.show_alert
    assert not any("您所在的区域" in text for text in said(harness, resident.id))
    assert (await resident_in_database(harness)).area_id is None
    # The question is still there, buttons and all: pressing again saves it.
    await harness.press(resident, picker, "和祥社区")
    await harness.bot_says(resident.id, "您所在的区域：江滨区 海德街道 和祥社区。")
    assert (await resident_in_database(harness)).area_id is not None


async def test_a_chosen_language_is_reported_only_once_it_is_saved(harness: Harness):
    resident = harness.fake.user(user_id=5202, first_name="小红", language_code="zh-hans")
    await resident.send_text("/language")
    greeting = await harness.bot_says(resident.id, "请选择语言")
    with commits_fail_that_change_a_resident_s("locale"):
        answer = await answer_to(harness, await harness.press(resident, greeting, "English"))
    assert answer.text == APOLOGY and answer.show_alert
    assert not any("Language set to" in text for text in said(harness, resident.id))
    assert (await resident_in_database(harness)).locale == "zh_Hans"
    await harness.press(resident, greeting, "English")
    await harness.bot_says(resident.id, "Language set to English.")
    await harness.bot_says(resident.id, "Which district do you live in?")


async def deputy_answers(harness: Harness, resident: Any) -> dict[str, Any]:
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    return await card_in_group(harness, HAIDE_GROUP_1, "A-2026-000001")


async def test_when_the_acknowledgement_fails_the_deputy_is_not_asked_to_reply_again(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident = harness.fake.user(user_id=5203, first_name="小红", language_code="zh-hans")
    card = await deputy_answers(harness, resident)
    # Flood control in the group for longer than a direct answer waits.
    harness.fake.fail_next("sendMessage", 429, retry_after=30, chat_id=group.id)
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(resident.id, "王建国代表对您的意见建议（A-2026-000001）答复如下：")
    # A sticker is refused with an answer, and only once the reply before it is fully handled.
    await wang.send_sticker(chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "这类消息无法转达")
    assert not any(APOLOGY in text for text in said(harness, group.id))
    await harness.outbox_settled()
    answers = [text for text in said(harness, resident.id) if ANSWER in text]
    assert len(answers) == 1
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        replies = await session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.action == "replied"
            )
        )
        assert len(list(replies)) == 1


async def test_a_short_flood_wait_delays_an_answer_instead_of_failing_it(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    resident = harness.fake.user(user_id=5204, first_name="小红", language_code="zh-hans")
    card = await deputy_answers(harness, resident)
    harness.fake.fail_next("sendMessage", 429, retry_after=1, chat_id=group.id)
    await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "已转达反映人（A-2026-000001）")
    harness.fake.fail_next("sendMessage", 429, retry_after=1, chat_id=resident.id)
    await resident.send_text("再补充一点：井盖也松了。")
    await harness.bot_says(resident.id, "还是新的意见建议？")
    assert not any(APOLOGY in text for text in said(harness, resident.id))
    assert not any(APOLOGY in text for text in said(harness, group.id))


async def test_an_answer_that_cannot_be_given_keeps_nothing_of_the_message(harness: Harness):
    resident = harness.fake.user(user_id=5205, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await resident.send_text("第一段：路灯坏了。")
    first_prompt = await harness.bot_says(resident.id, "已记下（共1条")
    # Flood control for longer than a direct answer waits: the resident is told to try again.
    harness.fake.fail_next("sendMessage", 429, retry_after=30, chat_id=resident.id)
    await resident.send_text("第二段：井盖也松了。")
    apology = await harness.bot_says(resident.id, APOLOGY)
    assert apology["reply_to_message"]["text"] == "第二段：井盖也松了。"
    # The old prompt keeps its buttons while no newer one is out.
    kept = next(
        m
        for m in harness.fake.bot_messages(resident.id)
        if m["message_id"] == first_prompt["message_id"]
    )
    assert kept.get("reply_markup")
    await resident.send_text("第二段：井盖也松了。")
    prompt = await harness.bot_says(resident.id, "已记下（共2条")
    await press_submit(harness, resident, prompt)
    card = await harness.bot_says(HAIDE_GROUP_1, "意见建议（A-2026-000001）")
    assert card["text"].count("第二段") == 1
    async with harness.app.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        assert ticket.text == "第一段：路灯坏了。\n\n第二段：井盖也松了。"
