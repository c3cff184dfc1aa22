"""Bot API methods about the bot and its chats: getMe, the command lists, getChat,
getChatMember and sendChatAction."""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING

from bot.fake_telegram.chats import find_chat, thread_for_send, writable_chat
from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.objects import Json
from bot.fake_telegram.world import FakeChat

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
BOT_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_send_welcome_messages": False,  # Bot API 10.3, which aiogram 3.31 requires
}
# An administrator as a group's creator usually appoints one: may manage the chat, not more.
USER_ADMIN_RIGHTS = {
    **{key: False for key in BOT_ADMIN_RIGHTS},
    "can_manage_chat": True,
    "can_be_edited": False,
}
GIFT_KINDS = (
    "unlimited_gifts",
    "limited_gifts",
    "unique_gifts",
    "premium_subscription",
    "gifts_from_channels",
)


def _scope_key(p: Json) -> tuple[str, str]:
    # Commands are kept per scope and language exactly as set; reading does not fall back.
    scope = json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True)
    return scope, p.get("language_code", "")


def bot_member(fake: FakeTelegram, chat: FakeChat) -> Json:
    """The bot as a ChatMember of the chat: its status, and its rights as an administrator."""
    if chat.user is not None:
        return {"status": "member", "user": fake.bot.as_dict()}
    if chat.bot_status == "administrator":
        rights = {**BOT_ADMIN_RIGHTS, **chat.bot_rights}
        return {"status": "administrator", "user": fake.bot.as_dict(), **rights}
    if chat.bot_status == "kicked":
        return {"status": "kicked", "user": fake.bot.as_dict(), "until_date": 0}
    return {"status": chat.bot_status, "user": fake.bot.as_dict()}


async def get_me(fake: FakeTelegram, p: Json) -> Json:
    return {
        **fake.bot.as_dict(),
        "can_join_groups": True,
        # Privacy mode (BotFather's /setprivacy) on: groups show the bot only some messages.
        "can_read_all_group_messages": not fake.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def set_my_commands(fake: FakeTelegram, p: Json) -> bool:
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not COMMAND_NAME.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    fake._commands[_scope_key(p)] = commands
    return True


async def get_my_commands(fake: FakeTelegram, p: Json) -> list[Json]:
    return copy.deepcopy(fake._commands.get(_scope_key(p), []))


async def delete_my_commands(fake: FakeTelegram, p: Json) -> bool:
    fake._commands.pop(_scope_key(p), None)
    return True


async def get_chat(fake: FakeTelegram, p: Json) -> Json:
    return {
        **find_chat(fake, p["chat_id"]).as_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(GIFT_KINDS, False),
    }


async def get_chat_member(fake: FakeTelegram, p: Json) -> Json:
    chat = find_chat(fake, p["chat_id"])
    if p["user_id"] == fake.bot.id:
        return bot_member(fake, chat)
    user = fake._users.get(p["user_id"])
    if user is None:
        raise bad_request("user not found")
    if not chat.has_member(user):
        return {"status": "left", "user": user.as_dict()}
    if user.id in chat.admins:
        return {"status": "administrator", "user": user.as_dict(), **USER_ADMIN_RIGHTS}
    return {"status": "member", "user": user.as_dict()}


async def send_chat_action(fake: FakeTelegram, p: Json) -> bool:
    chat = writable_chat(fake, p["chat_id"])
    if p["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    thread_for_send(chat, p.get("message_thread_id"), None)
    return True
