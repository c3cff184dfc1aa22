"""Telegram tells the bot about its membership of a group (my_chat_member: added, promoted,
restricted, removed) and about a basic group upgraded to a supergroup (migrate_to_chat_id);
the core keeps what the bot may do there. `chat_facts` is also how `/bind` checks."""

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import (
    Chat,
    ChatMemberAdministrator,
    ChatMemberRestricted,
    ChatMemberUpdated,
    Message,
)
from aiogram.types.chat_member_union import ChatMemberUnion
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.group_chats import ChatFacts, moved_chat, record_chat, tell_chat
from bot.core.group_queue import group_of_chat
from bot.core.tickets import TicketDesk
from storage.models import TELEGRAM


async def chat_facts(bot: Bot, chat: Chat, member: ChatMemberUnion) -> ChatFacts:
    """The bot in the chat, from its ChatMember there."""
    me = await bot.me()
    admin = isinstance(member, ChatMemberAdministrator)
    restricted = isinstance(member, ChatMemberRestricted) and not member.can_send_messages
    present = member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.CREATOR,
        ChatMemberStatus.RESTRICTED,
    )
    return ChatFacts(
        present=present and not restricted,
        forum=bool(chat.is_forum),
        admin=admin,
        manages_topics=admin and bool(member.can_manage_topics),
        reads_all=bool(me.can_read_all_group_messages),
    )


async def membership_changed(
    event: ChatMemberUpdated,
    session: AsyncSession,
    bot: Bot,
    desk: TicketDesk,
    clock: Clock,
) -> None:
    group = await group_of_chat(session, TELEGRAM, str(event.chat.id))
    if group is None:
        return  # a chat that is no deputy group's
    facts = await chat_facts(bot, event.chat, event.new_chat_member)
    await record_chat(session, desk.catalogs, group, facts, clock.now())
    await tell_chat(session, desk.catalogs, group, facts, clock.now())


async def upgraded(message: Message, session: AsyncSession) -> None:
    assert message.migrate_to_chat_id is not None
    await moved_chat(session, str(message.chat.id), str(message.migrate_to_chat_id))


def build_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(membership_changed)
    router.message.register(upgraded, F.migrate_to_chat_id)
    return router
