"""What the bot may do in each deputy group's chat, as Telegram tells it: at `/bind` and
whenever the bot's membership changes (my_chat_member). A forum whose topics the bot manages
gets a topic per ticket; a chat that removed the bot keeps its messages waiting (staff are
told), and they go out when the bot is back; the chat is told plainly what right is missing.
A basic group upgraded to a supergroup keeps its deputy group under its new id."""

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.group_work import staff_chat
from bot.core.workflow import OPEN
from bot.delivery.outbox import QUEUED, Content, Recipient, enqueue
from bot.text import group_texts
from bot.text.catalogs import Catalogs
from storage.models import (
    TELEGRAM,
    DeputyGroup,
    GroupChat,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    RecipientKind,
    Ticket,
)
from storage.queries.contacts import contact_of, recipient_at, set_address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatFacts:
    """The bot in a group's chat, as Telegram last described it."""

    present: bool  # a member who may write (not removed, not restricted)
    forum: bool  # the group has topics
    admin: bool
    manages_topics: bool  # an administrator with can_manage_topics
    reads_all: bool  # privacy mode off (BotFather's /setprivacy)

    @property
    def sees_all_messages(self) -> bool:
        return self.admin or self.reads_all


class Lacking(enum.StrEnum):
    TOPICS = "topics"  # a forum, but the bot may not manage topics: reply mode meanwhile
    MESSAGES = "messages"  # privacy mode: only replies to the bot's messages reach it


def lacking(facts: ChatFacts) -> list[Lacking]:
    missing = []
    if facts.forum and not facts.manages_topics:
        missing.append(Lacking.TOPICS)
    if not facts.sees_all_messages:
        missing.append(Lacking.MESSAGES)
    return missing


class Change(enum.StrEnum):
    SAME = "same"
    REMOVED = "removed"
    BACK = "back"


async def record_chat(
    session: AsyncSession,
    catalogs: Catalogs,
    group: DeputyGroup,
    facts: ChatFacts,
    now: datetime,
) -> Change:
    """Keep what the bot may do in the group's chat. Removed: the group's messages wait and
    staff are told; back: the waiting messages (and those that failed meanwhile) go out."""
    chat = await session.scalar(select(GroupChat).where(GroupChat.group_id == group.id))
    if chat is None:
        chat = GroupChat(group_id=group.id, checked_at=now)
        session.add(chat)
    was_removed = chat.removed_at is not None
    chat.forum, chat.manages_topics = facts.forum, facts.manages_topics
    chat.sees_all_messages, chat.checked_at = facts.sees_all_messages, now
    if not facts.present:
        chat.removed_at = chat.removed_at or now
        if not was_removed:
            await _tell_staff(session, catalogs, group, now, removed=True)
            log.warning("deputy group %s: the bot was removed from its chat", group.code)
            return Change.REMOVED
        return Change.SAME
    chat.removed_at = None
    if was_removed:
        await _resume(session, group, now)
        await _tell_staff(session, catalogs, group, now, removed=False)
        log.info("deputy group %s: the bot is back in its chat", group.code)
        return Change.BACK
    return Change.SAME


async def tell_chat(
    session: AsyncSession,
    catalogs: Catalogs,
    group: DeputyGroup,
    facts: ChatFacts,
    now: datetime,
) -> None:
    """Tell the group's chat what the bot lacks and how to fix it (through the outbox)."""
    missing = lacking(facts)
    if not missing or not facts.present:
        return
    text = group_texts.rights_missing(catalogs.get(None), [m.value for m in missing])
    enqueue(
        session, Recipient.deputy_group(group.id), OutboxPurpose.CHAT_NOTICE, Content(text), now
    )


async def moved_chat(session: AsyncSession, old: str, new: str) -> DeputyGroup | None:
    """A basic group became a supergroup: its deputy group is at the new id from now on."""
    found = await recipient_at(session, RecipientKind.DEPUTY_GROUP, TELEGRAM, old)
    if found is None:
        return None
    await set_address(session, RecipientKind.DEPUTY_GROUP, found, TELEGRAM, new)
    return await session.get(DeputyGroup, found)


async def _resume(session: AsyncSession, group: DeputyGroup, now: datetime) -> None:
    """The bot is back: the chat is reachable again, messages that failed because it was
    gone are sent after all, and the waiting ones go at once."""
    contact = await contact_of(session, RecipientKind.DEPUTY_GROUP, group.id, TELEGRAM)
    if contact is not None:
        contact.unreachable_at = contact.unreachable_cause = contact.unreachable_reason = None
    of_group = (OutboxMessage.recipient_kind == RecipientKind.DEPUTY_GROUP) & (
        OutboxMessage.recipient_id == group.id
    )
    gone = OutboxMessage.last_error.like("%kicked%") | OutboxMessage.last_error.like(
        "%not a member%"
    )
    await session.execute(
        update(OutboxMessage)
        .where(of_group, OutboxMessage.status == OutboxStatus.FAILED, gone)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now)
    )
    await session.execute(
        update(OutboxMessage)
        .where(of_group, OutboxMessage.status == OutboxStatus.PENDING)
        .values(next_attempt_at=now)
    )
    session.info[QUEUED] = True


async def _tell_staff(
    session: AsyncSession,
    catalogs: Catalogs,
    group: DeputyGroup,
    now: datetime,
    *,
    removed: bool,
) -> None:
    staff = await staff_chat(session, group)
    if staff is None:
        log.warning("deputy group %s: the directory names no staff chat to tell", group.code)
        return
    waiting = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.deputy_group_id == group.id, Ticket.status.in_(OPEN))
    )
    t = catalogs.get(None)
    text = (
        group_texts.bot_removed(t, group, waiting or 0)
        if removed
        else group_texts.bot_back(t, group)
    )
    enqueue(session, staff, OutboxPurpose.CHAT_NOTICE, Content(text), now)
