"""Setting a group up: staff issue a one-time code, a chat administrator sends `/bind CODE` in
the group, and the group's cards arrive there (those that waited for a chat too); `/queue`
lists the group's open tickets with links to their cards."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from bot.clock import FrozenClock
from bot.core.binding import issue_bind_code
from storage.models import Contact, DeputyGroup, RecipientKind
from tests.support.harness import Harness
from tests.support.stories import HAIDE_GROUP_1, OPINION, WANG_JIANGUO, register_in_haide, submit
from tests.test_cli import DEMO_DIRECTORY, bot

NEW_CHAT = -1001000000777


async def without_a_chat(harness: Harness, code: str) -> None:
    """The group's chat is not in the directory file: it must be bound."""
    async with harness.app.sessionmaker.begin() as session:
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == code))
        assert group is not None
        await session.execute(
            delete(Contact).where(
                Contact.recipient_kind == RecipientKind.DEPUTY_GROUP,
                Contact.recipient_id == group.id,
            )
        )


async def a_code(harness: Harness, group_code: str) -> str:
    async with harness.app.sessionmaker.begin() as session:
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == group_code))
        assert group is not None
        return await issue_bind_code(session, group, harness.app.clock.now())


async def test_an_administrator_binds_the_chat_and_the_waiting_card_arrives(harness: Harness):
    fake = harness.fake
    await without_a_chat(harness, "g-hd-1")
    resident = fake.user(user_id=5401, first_name="小红", language_code="zh-hans")
    await register_in_haide(harness, resident)
    await submit(harness, resident, OPINION)  # its card has nowhere to go yet

    wang = harness.groups[HAIDE_GROUP_1].members[WANG_JIANGUO]
    admin = fake.user(user_id=9200000001, first_name="工委", last_name="联络员")
    chat = fake.group(NEW_CHAT, "海德一组工作群", [wang, admin])
    chat.admins.add(admin.id)
    code = await a_code(harness, "g-hd-1")

    await admin.send_text("/bind", chat=chat)
    await harness.bot_says(chat.id, "请发送 /bind 加上街道人大工委提供的绑定码")
    await wang.send_text(f"/bind {code}", chat=chat)
    await harness.bot_says(chat.id, "只有本群管理员可以将本群绑定到代表小组。")
    await admin.send_text("/bind ZZZZZ-ZZZZZ", chat=chat)
    await harness.bot_says(chat.id, "绑定码无效")
    await admin.send_text("/queue", chat=chat)
    await harness.bot_says(chat.id, "本群尚未绑定代表小组。")

    await admin.send_text(f"/bind {code.lower()}", chat=chat)
    await harness.bot_says(chat.id, "本群已绑定为海德街道第一代表小组的工作群")
    card = await harness.bot_says(chat.id, "意见建议（A-2026-000001）")
    assert OPINION in card["text"]
    await admin.send_text(f"/bind {code}", chat=chat)
    await harness.bot_says(chat.id, "该绑定码已使用过")

    # A deputy answers from the new chat: the card leads to its ticket.
    await harness.outbox_settled()
    await wang.send_text("收到，马上处理。", chat=chat, reply_to=card["message_id"])
    await harness.bot_says(resident.id, "王建国代表对您的意见建议（A-2026-000001）答复如下")

    await admin.send_text("/queue", chat=chat)
    listing = await harness.bot_says(chat.id, "待办意见建议共1件")
    assert "1. A-2026-000001 · 已答复" in listing["text"]
    link = f"https://t.me/c/1000000777/{card['message_id']}"
    assert any(e.get("url") == link for e in listing.get("entities", []))


async def test_a_code_expires_after_a_day_and_a_chat_serves_one_group(harness: Harness):
    fake = harness.fake
    admin = fake.user(user_id=9200000002, first_name="工委", last_name="联络员")
    chat = fake.group(NEW_CHAT, "工作群", [admin])
    chat.admins.add(admin.id)
    clock = harness.app.clock
    assert isinstance(clock, FrozenClock)
    old = await a_code(harness, "g-hd-2")
    clock.advance(timedelta(hours=24, seconds=1))
    await admin.send_text(f"/bind {old}", chat=chat)
    await harness.bot_says(chat.id, "该绑定码已过期（有效期24小时）")

    await admin.send_text(f"/bind {await a_code(harness, 'g-hd-2')}", chat=chat)
    await harness.bot_says(chat.id, "本群已绑定为海德街道第二代表小组的工作群")
    await admin.send_text(f"/bind {await a_code(harness, 'g-wx')}", chat=chat)
    await harness.bot_says(chat.id, "本群已是海德街道第二代表小组的工作群。")
    await admin.send_text("/queue", chat=chat)
    await harness.bot_says(chat.id, "海德街道第二代表小组目前没有待办的意见建议。")


def test_staff_print_a_bind_code(tmp_path: Path):
    assert bot("load-directory", str(DEMO_DIRECTORY), cwd=tmp_path).returncode == 0
    issued = bot("bind-code", "g-hd-1", cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    code = issued.stdout.strip()
    assert len(code) == 11 and code[5] == "-"
    assert f"/bind {code}" in issued.stderr and "24 hours" in issued.stderr
    unknown = bot("bind-code", "g-none", cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (1, "No active deputy group g-none.\n")
