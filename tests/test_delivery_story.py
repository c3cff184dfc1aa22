"""A resident who blocked the bot, as everyone meets it over HTTP against the fake Bot API: the
deputy answers, the answer cannot reach the resident, and the group is told so instead of
believing it was passed on; on SQLite + memory and on PostgreSQL + Redis."""

from sqlalchemy import select

from storage.models import Contact, OutboxMessage, OutboxPurpose, OutboxStatus, RecipientKind
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


async def test_an_answer_to_a_resident_who_blocked_the_bot_is_reported_to_the_group(
    harness: Harness,
):
    group = harness.groups[HAIDE_GROUP_1]
    resident = harness.fake.user(
        user_id=5001, first_name="小红", last_name="李", language_code="zh-hans"
    )
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)
    card = await card_in_group(harness, group.id, "A-2026-000001")
    await harness.outbox_settled()
    resident.block_bot()

    await group.members[WANG_JIANGUO].send_text(ANSWER, chat=group, reply_to=card["message_id"])
    await harness.bot_says(group.id, "未能送达反映人（A-2026-000001）：反映人已停用本机器人。")
    await harness.outbox_settled()
    async with harness.app.sessionmaker() as session:
        contact = await session.scalar(
            select(Contact).where(
                Contact.recipient_kind == RecipientKind.RESIDENT, Contact.address == "5001"
            )
        )
        assert contact is not None and contact.unreachable_cause == "blocked"
        to_resident = list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.recipient_kind == RecipientKind.RESIDENT,
                    OutboxMessage.purpose == OutboxPurpose.REPLY,
                )
            )
        )
        assert [(r.status, r.last_error) for r in to_resident] == [
            (OutboxStatus.FAILED, "Forbidden: bot was blocked by the user")
        ]
    told = [m for m in harness.fake.bot_messages(group.id) if m["text"].startswith("未能送达")]
    assert len(told) == 1  # once, however many of the resident's messages failed
