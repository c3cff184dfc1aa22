"""Replies both ways through the fake Bot API: a deputy's text or photo, in reply to any message
of a ticket's thread, reaches the resident as a copy (never a forward); edits follow as edits,
both ways; a message the bot cannot relate gets a hint, and deputies can talk among
themselves; a resident who stopped the bot: the deputy is told and the reply is kept."""

import re
from typing import Any

from sqlalchemy import event, select

from bot.fake_telegram import tiny_png
from storage.models import OutboxMessage, OutboxPurpose, OutboxStatus, TicketEvent
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    OPINION,
    WANG_JIANGUO,
    card_in_group,
    register_in_haide,
    submit,
)

CHEN_LI = 7000000102
NUMBER = "A-2026-000001"
HINT = "如需答复反映人，请回复相应意见建议的卡片"


async def a_ticket(harness: Harness, user_id: int) -> tuple[Any, dict[str, Any]]:
    resident = harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    return resident, await card_in_group(harness, HAIDE_GROUP_1, NUMBER)


def message_in(harness: Harness, chat_id: int, message_id: int) -> dict[str, Any]:
    """The message as the chat shows it now (edits included)."""
    return harness.fake.chat(chat_id).messages[message_id]


def said(harness: Harness, chat_id: int) -> list[dict[str, Any]]:
    return harness.fake.bot_messages(chat_id)


async def test_a_photo_in_reply_reaches_the_resident_as_a_copy_and_its_edit_follows(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident, card = await a_ticket(harness, 5501)
    photo = await wang.send_photo(
        tiny_png(), caption="路灯已换好，见照片。", chat=group, reply_to=card["message_id"]
    )
    await harness.bot_says(group.id, f"已转达反映人（{NUMBER}）。")
    await harness.fake.wait_for(lambda: any("photo" in m for m in said(harness, resident.id)))
    copy = next(m for m in said(harness, resident.id) if "photo" in m)
    assert "forward_origin" not in copy
    assert copy["caption"].startswith(f"王建国代表对您的意见建议（{NUMBER}）答复如下：")
    assert "路灯已换好，见照片。" in copy["caption"]
    await harness.outbox_settled()

    await wang.edit_caption(photo, "路灯已换好（3号楼门口），见照片。")
    await harness.fake.wait_for(
        lambda: "3号楼门口" in message_in(harness, resident.id, copy["message_id"])["caption"]
    )
    await harness.outbox_settled()
    async with harness.app.sessionmaker() as session:
        edited = await session.scalar(select(TicketEvent).where(TicketEvent.action == "edited"))
    assert edited is not None and edited.detail["by"] == "王建国"


async def test_a_reply_reads_its_ticket_once_and_writes_it_once(harness: Harness):
    """The first reply to a card answers the ticket: the reply, the status and the card's new
    version are one read of the ticket (held until the commit) and one UPDATE of it, not a
    read and a write per step (bench.inbound_round_trips --replies counts the rest)."""
    group = harness.groups[HAIDE_GROUP_1]
    resident, card = await a_ticket(harness, 5510)
    on_tickets: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        words = " ".join(sql.split())
        if "WHERE tickets.merged_into_id =" in words:
            on_tickets.append("followers")  # the residents whose tickets were merged into it
        elif re.search(r"^UPDATE tickets\b|^SELECT .* FROM tickets\b", words):
            on_tickets.append(words.split(" ", 1)[0])

    engine = harness.app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=card["message_id"])
        await harness.bot_says(group.id, f"已转达反映人（{NUMBER}）。")
        await harness.bot_says(resident.id, ANSWER)
        await harness.outbox_settled()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert on_tickets == ["SELECT", "followers", "UPDATE"]
    card_now = message_in(harness, HAIDE_GROUP_1, card["message_id"])
    assert "已答复" in card_now["text"]  # the card shows the new status


async def test_a_new_tickets_card_reads_no_holder_before_a_deputy_takes_it(harness: Harness):
    """Submitted and routed, nobody holds the ticket yet: its card says so without a read."""
    read_deputies: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        words = " ".join(sql.split())
        if re.search(r"^SELECT deputies\.id\b.* FROM deputies WHERE deputies\.id =", words):
            read_deputies.append(words)

    engine = harness.app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        await a_ticket(harness, 5511)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert read_deputies == []


async def test_a_reply_to_any_message_of_the_thread_reaches_the_resident_and_edits_follow(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    chen = group.members[CHEN_LI]
    resident, card = await a_ticket(harness, 5502)
    first = await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    told = await harness.bot_says(resident.id, ANSWER)
    await harness.outbox_settled()
    # 陈丽 replies to 王建国's message, not to the card: it is the same ticket's thread.
    await chen.send_text("补充：周五前会有人回访。", chat=group, reply_to=first["message_id"])
    await harness.bot_says(resident.id, "陈丽代表对您的意见建议（A-2026-000001）答复如下")
    await harness.outbox_settled()
    await wang.edit_text(first, "您好，已联系街道城管科，本周四前修好。")
    await harness.fake.wait_for(
        lambda: "本周四前修好" in message_in(harness, resident.id, told["message_id"])["text"]
    )


async def test_the_residents_answer_to_a_question_is_edited_in_the_group_too(harness: Harness):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident, card = await a_ticket(harness, 5503)
    await harness.press(wang, card, "需补充")
    prompt = await harness.bot_says(group.id, "写下需要反映人补充的内容")
    await harness.outbox_settled()
    await wang.send_text("请拍一张照片。", chat=group, reply_to=prompt["message_id"])
    question = await harness.bot_says(resident.id, "请拍一张照片。")
    await harness.outbox_settled()
    photo = await resident.send_photo(
        tiny_png(), caption="3号楼门口", reply_to=question["message_id"]
    )
    await harness.fake.wait_for(lambda: any("photo" in m for m in said(harness, group.id)))
    added = next(m for m in said(harness, group.id) if "photo" in m)
    assert added["reply_to_message"]["message_id"] == card["message_id"]
    assert "反映人对意见建议（A-2026-000001）补充如下" in added["caption"]
    await harness.outbox_settled()
    await resident.edit_caption(photo, "3号楼2单元门口")
    await harness.fake.wait_for(
        lambda: "2单元" in message_in(harness, group.id, added["message_id"])["caption"]
    )
    # The deputy replies to the resident's answer: that too is the ticket's thread.
    await wang.send_text("收到，谢谢。", chat=group, reply_to=added["message_id"])
    await harness.bot_says(resident.id, "收到，谢谢。")


async def test_an_unrelated_message_gets_a_hint_and_deputies_can_talk_among_themselves(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    chen = group.members[CHEN_LI]
    resident, card = await a_ticket(harness, 5504)
    await wang.send_text("明天下午谁去联络站？", chat=group)
    hint = await harness.bot_says(group.id, HINT)
    assert "以//开头" in hint["text"]
    await chen.send_text("我去。", chat=group, reply_to=hint["message_id"])
    internal = await wang.send_text("//那我周五去。", chat=group)
    await chen.send_text("好的。", chat=group, reply_to=internal["message_id"])
    # Each person's messages are handled in order: once both have been answered for a reply
    # to the card, their chatter before it has been handled, and got nothing.
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await chen.send_text("周五前会有人回访。", chat=group, reply_to=card["message_id"])
    await harness.fake.wait_for(
        lambda: (
            len([m for m in said(harness, group.id) if "已转达反映人" in m.get("text", "")]) == 2
        )
    )
    await harness.fake.wait_for(
        lambda: (
            len(
                [m for m in said(harness, resident.id) if "代表对您的意见建议" in m.get("text", "")]
            )
            == 2
        )
    )
    hints = [m for m in said(harness, group.id) if HINT in m.get("text", "")]
    assert len(hints) == 1


async def test_a_resident_who_stopped_the_bot_the_deputy_is_told_and_the_reply_kept(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    resident, card = await a_ticket(harness, 5505)
    await harness.outbox_settled()
    resident.block_bot()
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "未能送达反映人（A-2026-000001）：反映人已停用本机器人。")
    await harness.outbox_settled()
    await wang.send_text("再补充一句。", chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "您的答复已记入意见建议（A-2026-000001）")
    await harness.outbox_settled()
    async with harness.app.sessionmaker() as session:
        replies = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == OutboxPurpose.REPLY)
            )
        )
        events = list(
            await session.scalars(select(TicketEvent).where(TicketEvent.action == "replied"))
        )
    assert [r.status for r in replies] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    assert [e.detail["text"] for e in events] == [ANSWER, "再补充一句。"]
