"""The bot's membership of groups as the fake keeps it: its status and rights (getChatMember,
my_chat_member updates), privacy mode, topics only for an administrator who may manage them,
a basic group upgraded to a supergroup, captions edited."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramMigrateToChat
from aiogram.types import BufferedInputFile, ChatMemberAdministrator, ChatMemberLeft

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser, tiny_png
from bot.fake_telegram.membership import set_bot_status, upgrade_to_supergroup
from tests.fake_telegram.support import GROUP


async def test_the_bot_removed_and_promoted_is_told_and_refused_as_telegram_does(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, deputy: FakeUser
) -> None:
    forum.admins.add(deputy.id)
    me = (await bot.get_me()).id
    member = await bot.get_chat_member(GROUP, me)
    assert isinstance(member, ChatMemberAdministrator) and member.can_manage_topics
    set_bot_status(fake, forum, "left", by=deputy)
    assert isinstance(await bot.get_chat_member(GROUP, me), ChatMemberLeft)
    with pytest.raises(TelegramForbiddenError, match="bot is not a member"):
        await bot.send_message(GROUP, "还在吗")
    set_bot_status(fake, forum, "administrator", by=deputy, can_manage_topics=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage topics"):
        await bot.create_forum_topic(GROUP, name="工单")
    changes = [u["my_chat_member"] for u in fake.pending_updates() if "my_chat_member" in u]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"]) for c in changes] == [
        ("administrator", "left"),
        ("left", "administrator"),
    ]
    assert changes[1]["new_chat_member"]["can_manage_topics"] is False
    assert changes[1]["from"]["id"] == deputy.id


async def test_privacy_mode_shows_a_member_bot_only_commands_and_replies_to_it(
    bot: Bot, fake: FakeTelegram, forum: FakeChat, deputy: FakeUser
) -> None:
    assert (await bot.get_me()).can_read_all_group_messages is False
    forum.bot_status = "member"
    sent = await bot.send_message(GROUP, "卡片")
    await deputy.send_text("大家好", chat=forum)
    await deputy.send_text("/queue", chat=forum)
    await deputy.send_text("收到", chat=forum, reply_to=sent.message_id)
    seen = [u["message"]["text"] for u in fake.pending_updates() if "message" in u]
    assert seen == ["/queue", "收到"]
    fake.privacy_mode = False
    await deputy.send_text("现在都能看到", chat=forum)
    assert fake.pending_updates()[-1]["message"]["text"] == "现在都能看到"


async def test_a_basic_group_upgraded_refuses_its_old_id_with_the_new_one(
    bot: Bot, fake: FakeTelegram, deputy: FakeUser
) -> None:
    basic = fake.group(-4000000001, "代表小组", [deputy])
    basic.type = "group"
    upgraded = upgrade_to_supergroup(fake, basic, -1004000000001)
    with pytest.raises(TelegramMigrateToChat) as refused:
        await bot.send_message(basic.id, "你好")
    assert refused.value.migrate_to_chat_id == upgraded.id
    messages = [u["message"] for u in fake.pending_updates() if "message" in u]
    assert [m.get("migrate_to_chat_id") for m in messages] == [upgraded.id, None]
    assert messages[1]["migrate_from_chat_id"] == basic.id
    assert (await bot.send_message(upgraded.id, "你好")).chat.type == "supergroup"


async def test_a_caption_is_edited_and_a_text_message_has_none(
    bot: Bot, fake: FakeTelegram, forum: FakeChat
) -> None:
    photo = await bot.send_photo(GROUP, BufferedInputFile(tiny_png(), "p.png"), caption="旧")
    edited = await bot.edit_message_caption(
        chat_id=GROUP, message_id=photo.message_id, caption="新"
    )
    assert not isinstance(edited, bool) and edited.caption == "新"
    text = await bot.send_message(GROUP, "文字")
    with pytest.raises(TelegramBadRequest, match="no caption in the message"):
        await bot.edit_message_caption(chat_id=GROUP, message_id=text.message_id, caption="新")
