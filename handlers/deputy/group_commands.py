"""Commands in a deputy group's chat: `/bind CODE` makes the chat the group's (only a chat
administrator may), `/queue` lists the group's open tickets with links to their cards."""

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.binding import BindError, BindRefused, bind_chat
from bot.core.group_chats import lacking, record_chat
from bot.core.group_queue import group_of_chat, group_queue
from bot.core.tickets import TicketDesk
from bot.text import group_texts
from bot.text.catalogs import Texts
from handlers.answers import reported
from handlers.deputy.membership import chat_facts
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM

ADMINISTRATORS = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


def message_link(chat_id: int, message_id: str) -> str | None:
    """A link to a message of a supergroup (-100…); basic groups have none."""
    text = str(chat_id)
    return f"https://t.me/c/{text[4:]}/{message_id}" if text.startswith("-100") else None


async def bind(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    bot: Bot,
    desk: TicketDesk,
    clock: Clock,
    t: Texts,
) -> None:
    assert message.from_user is not None
    code = (command.args or "").strip()
    if not code:
        usage = t.gettext(
            "Send /bind followed by the code the street working committee gave you, for "
            "example /bind ABCDE-FGHJK."
        )
        after_commit(lambda: message.reply(usage))
        return
    member = await bot.get_chat_member(message.chat.id, message.from_user.id)
    if member.status not in ADMINISTRATORS:
        refusal = t.gettext("Only an administrator of this chat can bind it to a deputy group.")
        after_commit(lambda: message.reply(refusal))
        return
    try:
        group = await bind_chat(
            session, desk.messages, code, TELEGRAM, str(message.chat.id), clock.now()
        )
    except BindError as error:
        refusals = {
            BindRefused.UNKNOWN: t.gettext(
                "This code is not valid. Please check it, or ask the street working committee "
                "for a new one."
            ),
            BindRefused.EXPIRED: t.gettext(
                "This code has expired (codes are valid for 24 hours). Please ask the street "
                "working committee for a new one."
            ),
            BindRefused.USED: t.gettext(
                "This code has been used already. Please ask the street working committee for "
                "a new one."
            ),
            BindRefused.TAKEN: t.gettext("This chat is already the chat of {group}."),
        }
        refusal = refusals[error.why].format(group=error.group.name if error.group else "")
        after_commit(lambda: message.reply(refusal))
        return
    bound = t.gettext(
        "This chat is now the chat of {group}. New opinions and suggestions will arrive here "
        "as cards."
    ).format(group=group.name)
    me = await bot.me()
    facts = await chat_facts(bot, message.chat, await bot.get_chat_member(message.chat.id, me.id))
    await record_chat(session, desk.catalogs, group, facts, clock.now())
    if missing := lacking(facts):
        bound += "\n\n" + group_texts.rights_missing(t, [m.value for m in missing])
    elif facts.forum:
        bound += "\n\n" + t.gettext("Each opinion or suggestion will have a topic of its own.")
    after_commit(reported(lambda: message.reply(bound), f"binding {group.code}"))


async def queue(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    t: Texts,
) -> None:
    address = str(message.chat.id)
    group = await group_of_chat(session, TELEGRAM, address)
    if group is None:
        text = t.gettext(
            "This chat is not bound to a deputy group yet. An administrator can bind it with "
            "/bind and the code from the street working committee."
        )
    else:
        items = await group_queue(session, group, address)
        listed = [
            (item.ticket, message_link(message.chat.id, item.card) if item.card else None)
            for item in items
        ]
        text = group_texts.queue_listing(t, group, listed, desk.timezone)
    after_commit(lambda: message.reply(text))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(bind, Command("bind"))
    router.message.register(queue, Command("queue"))
    return router
