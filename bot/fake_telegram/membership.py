"""The bot's membership of groups as Telegram changes it: an administrator adds, promotes,
restricts or removes the bot (a my_chat_member update each time), and a basic group upgraded
to a supergroup (service messages in both, and the old id refused from then on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.fake_telegram.chats import store_message
from bot.fake_telegram.methods.chats import bot_member
from bot.fake_telegram.objects import Json
from bot.fake_telegram.updates import enqueue
from bot.fake_telegram.world import FakeChat

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram
    from bot.fake_telegram.users import FakeUser

STATUSES = ("administrator", "member", "restricted", "left", "kicked")


def set_bot_status(
    fake: FakeTelegram, chat: FakeChat, status: str, by: FakeUser, **rights: bool
) -> None:
    """`by` (an administrator of the group) changes the bot's membership: "administrator"
    with `rights` (e.g. can_manage_topics=False), "member", "left" (removed) or "kicked"."""
    if chat.user is not None or status not in STATUSES:
        raise ValueError(f"a group's bot can be one of {STATUSES}")
    old = bot_member(fake, chat)
    chat.bot_status, chat.bot_rights = status, dict(rights)
    new = bot_member(fake, chat)
    if status == "restricted":
        new = {**new, **RESTRICTED}
    update = {
        "chat": chat.as_dict(),
        "from": by.as_dict(),
        "date": fake._now(),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    enqueue(fake, "my_chat_member", update)


# A restricted member: every ChatMemberRestricted field, the bot left unable to write.
RESTRICTED: Json = {
    "is_member": True,
    "can_send_messages": False,
    "can_send_audios": False,
    "can_send_documents": False,
    "can_send_photos": False,
    "can_send_videos": False,
    "can_send_video_notes": False,
    "can_send_voice_notes": False,
    "can_send_polls": False,
    "can_send_other_messages": False,
    "can_add_web_page_previews": False,
    "can_change_info": False,
    "can_invite_users": False,
    "can_pin_messages": False,
    "can_manage_topics": False,
    "until_date": 0,
}


def upgrade_to_supergroup(fake: FakeTelegram, chat: FakeChat, new_id: int) -> FakeChat:
    """A basic group becomes a supergroup with a new id: Telegram posts migrate_to_chat_id
    in the old chat and migrate_from_chat_id in the new one, and refuses the old id from then
    on with the new id in the error's parameters."""
    if chat.type != "group":
        raise ValueError("only a basic group (type 'group') is upgraded")
    new = fake.group(new_id, chat.title or "", list(chat.members.values()))
    new.admins = set(chat.admins)
    new.bot_status, new.bot_rights = chat.bot_status, dict(chat.bot_rights)
    someone = next(iter(chat.members.values()))
    moved = store_message(fake, chat, someone.as_dict(), {"migrate_to_chat_id": new_id})
    enqueue(fake, "message", moved)
    came = store_message(fake, new, someone.as_dict(), {"migrate_from_chat_id": chat.id})
    enqueue(fake, "message", came)
    chat.migrated_to = new_id
    return new
