"""Forum mode and what goes wrong in real groups, through the fake Bot API: a topic per ticket
(named with its number, title and status, closed and reopened with it, made anew when someone
deleted it), deputies writing in the topic; a group that lacks rights is told what to fix; the
bot removed and added back; a basic group upgraded to a supergroup."""

import asyncio
from typing import Any

from sqlalchemy import select

from bot.core.binding import issue_bind_code
from bot.fake_telegram.membership import set_bot_status, upgrade_to_supergroup
from bot.fake_telegram.methods.topics import delete_forum_topic
from storage.models import (
    Contact,
    Deputy,
    DeputyGroup,
    OutboxMessage,
    OutboxStatus,
    RecipientKind,
    Ticket,
)
from tests.support.harness import Harness
from tests.support.stories import (
    ANSWER,
    HAIDE_GROUP_1,
    OPINION,
    WANG_JIANGUO,
    register_in_haide,
    submit,
)

FORUM = -1001000000888
HAIDE_STAFF_CHAT = -1001000000901
NUMBER = "A-2026-000001"


def buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def bind(harness: Harness, chat: Any, admin: Any, group_code: str = "g-hd-1") -> None:
    async with harness.app.sessionmaker.begin() as session:
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == group_code))
        assert group is not None
        code = await issue_bind_code(session, group, harness.app.clock.now())
    await admin.send_text(f"/bind {code}", chat=chat)
    await harness.bot_says(chat.id, "本群已绑定为")


async def a_forum(harness: Harness, **bot_rights: bool) -> tuple[Any, Any, Any]:
    """A forum supergroup for 海德街道第一代表小组, 王建国 in it, bound by its administrator."""
    fake = harness.fake
    wang = harness.groups[HAIDE_GROUP_1].members[WANG_JIANGUO]
    admin = fake.user(user_id=9300000001, first_name="工委", last_name="联络员")
    chat = fake.group(FORUM, "海德一组（话题）", [wang, admin], is_forum=True)
    chat.admins.add(admin.id)
    chat.bot_rights = dict(bot_rights)
    await bind(harness, chat, admin)
    return chat, wang, admin


async def a_ticket(harness: Harness, user_id: int) -> Any:
    resident = harness.fake.user(user_id=user_id, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    return resident


def topic_named(harness: Harness, chat_id: int, number: str) -> dict[str, Any] | None:
    return next((t for t in harness.fake.topics(chat_id) if t["name"].startswith(number)), None)


async def test_each_ticket_has_a_topic_that_follows_its_status(harness: Harness):
    chat, wang, _ = await a_forum(harness)
    await harness.bot_says(chat.id, "每件意见建议将单独建立一个话题。")
    resident = await a_ticket(harness, 5601)
    card = await harness.bot_says(chat.id, f"意见建议（{NUMBER}）")
    topic = topic_named(harness, chat.id, NUMBER)
    assert topic is not None and topic["name"].endswith("· 已分派")
    assert "和祥社区3号楼门口的路灯坏了" in topic["name"]
    thread = topic["message_thread_id"]
    assert card["message_thread_id"] == thread and card["is_topic_message"]
    await harness.outbox_settled()

    await harness.press(wang, card, "接单")
    await harness.fake.wait_for(
        lambda: topic_named(harness, chat.id, NUMBER)["name"].endswith("· 已受理")  # type: ignore[index]
    )
    # In the topic, a deputy simply writes: no reply needed.
    await wang.send_text(ANSWER, chat=chat, message_thread_id=thread)
    await harness.bot_says(resident.id, "王建国代表对您的意见建议（A-2026-000001）答复如下")
    done = await harness.bot_says(chat.id, f"已转达反映人（{NUMBER}）。")
    assert done["message_thread_id"] == thread
    card = await harness.bot_says(chat.id, "状态：已答复（王建国代表）")
    await harness.outbox_settled()
    await harness.press(wang, card, "已办结")
    await harness.fake.wait_for(lambda: thread in harness.fake.chat(chat.id).closed_topics)
    question = await harness.bot_says(resident.id, "请您对办理情况进行满意度测评")
    await harness.outbox_settled()
    await harness.press(resident, question, "不满意")
    await harness.fake.wait_for(lambda: thread not in harness.fake.chat(chat.id).closed_topics)
    topic = topic_named(harness, chat.id, NUMBER)
    assert topic is not None and topic["name"].endswith("· 重新办理")


async def test_a_deleted_topic_is_made_anew_and_says_so(harness: Harness):
    chat, wang, _ = await a_forum(harness)
    await a_ticket(harness, 5602)
    card = await harness.bot_says(chat.id, f"意见建议（{NUMBER}）")
    await harness.outbox_settled()
    old = card["message_thread_id"]
    await delete_forum_topic(harness.fake, {"chat_id": chat.id, "message_thread_id": old})
    # Someone deleted the topic, card and all; the ticket moves on (a step taken elsewhere).
    async with harness.app.sessionmaker.begin() as session:
        ticket = await session.scalar(select(Ticket))
        deputy = await session.scalar(select(Deputy).where(Deputy.name == "王建国"))
        assert ticket is not None and deputy is not None
        await harness.app.desk.accept(session, ticket, deputy)
    notice = await harness.bot_says(chat.id, "原话题已被删除，现于此新话题继续办理")
    assert notice["message_thread_id"] != old
    new_card = await harness.bot_says(chat.id, "状态：已受理（王建国代表）")
    assert new_card["message_thread_id"] == notice["message_thread_id"]
    assert [t["message_thread_id"] for t in harness.fake.topics(chat.id)] == [
        notice["message_thread_id"]
    ]
    await harness.outbox_settled()
    await wang.send_text(ANSWER, chat=chat, message_thread_id=notice["message_thread_id"])
    await harness.bot_says(chat.id, f"已转达反映人（{NUMBER}）。")


async def test_a_forum_where_the_bot_may_not_manage_topics_works_in_reply_mode(
    harness: Harness,
):
    chat, wang, _ = await a_forum(harness, can_manage_topics=False)
    told = await harness.bot_says(chat.id, "机器人在本群缺少以下权限：")
    assert "开启“管理话题”权限" in told["text"]
    resident = await a_ticket(harness, 5603)
    card = await harness.bot_says(chat.id, f"意见建议（{NUMBER}）")
    assert "message_thread_id" not in card and harness.fake.topics(chat.id) == []
    await harness.outbox_settled()
    await wang.send_text(ANSWER, chat=chat, reply_to=card["message_id"])
    await harness.bot_says(resident.id, ANSWER)


async def test_privacy_mode_is_explained_when_the_bot_is_no_administrator(harness: Harness):
    fake = harness.fake
    admin = fake.user(user_id=9300000002, first_name="工委", last_name="联络员")
    chat = fake.group(FORUM, "海德一组", [admin])
    chat.admins.add(admin.id)
    chat.bot_status = "member"
    await bind(harness, chat, admin)
    told = await harness.bot_says(chat.id, "机器人看不到群内消息（隐私模式）")
    assert "/setprivacy" in told["text"]


async def test_the_bot_removed_and_added_back_staff_told_and_nothing_lost(harness: Harness):
    fake = harness.fake
    staff = fake.user(user_id=9100000001, first_name="工委", last_name="联络员")
    fake.group(HAIDE_STAFF_CHAT, "海德街道人大工委", [staff])
    group = harness.groups[HAIDE_GROUP_1]
    wang = group.members[WANG_JIANGUO]
    group.admins.add(wang.id)
    set_bot_status(fake, group, "left", by=wang)
    await harness.bot_says(HAIDE_STAFF_CHAT, "机器人已被移出海德街道第一代表小组的工作群")
    resident = await a_ticket(harness, 5604)
    async with harness.app.sessionmaker() as session:
        waiting = list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.recipient_kind == RecipientKind.DEPUTY_GROUP
                )
            )
        )
    assert [m.status for m in waiting] == [OutboxStatus.PENDING]
    assert fake.bot_messages(group.id) == []
    set_bot_status(fake, group, "administrator", by=wang)
    await harness.bot_says(HAIDE_STAFF_CHAT, "机器人已重新加入海德街道第一代表小组的工作群")
    card = await harness.bot_says(group.id, f"意见建议（{NUMBER}）")
    await harness.outbox_settled()
    await wang.send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(resident.id, ANSWER)


async def test_a_group_upgraded_to_a_supergroup_keeps_its_tickets(harness: Harness):
    fake = harness.fake
    wang = harness.groups[HAIDE_GROUP_1].members[WANG_JIANGUO]
    admin = fake.user(user_id=9300000003, first_name="工委", last_name="联络员")
    basic = fake.group(-5000000001, "海德一组", [wang, admin])
    basic.type = "group"
    basic.admins.add(admin.id)
    await bind(harness, basic, admin)
    resident = await a_ticket(harness, 5605)
    await harness.bot_says(basic.id, f"意见建议（{NUMBER}）")
    await harness.outbox_settled()
    upgraded = upgrade_to_supergroup(fake, basic, -1001000000999)
    async with asyncio.timeout(10):  # the service message moves the group's chat
        while await chat_of_group(harness) != str(upgraded.id):
            await asyncio.sleep(0.05)
    await a_ticket(harness, 5606)
    card = await harness.bot_says(upgraded.id, "意见建议（A-2026-000002）")
    await harness.outbox_settled()
    await wang.send_text(ANSWER, chat=upgraded, reply_to=card["message_id"])
    await harness.bot_says(resident.id + 1, ANSWER)


async def chat_of_group(harness: Harness) -> str | None:
    async with harness.app.sessionmaker() as session:
        return await session.scalar(
            select(Contact.address)
            .join(DeputyGroup, DeputyGroup.id == Contact.recipient_id)
            .where(
                Contact.recipient_kind == RecipientKind.DEPUTY_GROUP,
                DeputyGroup.code == "g-hd-1",
            )
        )
