"""What deputies write in their group chat. A reply to any message of a ticket's thread (its
card, the bot's messages under it, a message passed on) reaches the resident privately: text,
photos, documents, voice messages and videos alike, copied, never forwarded; an edit of it is
passed on as an edit. A reply to a button's question completes that button's step. A message
the bot cannot relate to a ticket gets a short hint, unless it is between deputies: it begins
with the internal prefix (`GROUP_INTERNAL_PREFIX`, "//"), or replies to the hint or to such a
message."""

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import relays
from bot.core.group_queue import group_of_chat
from bot.core.group_work import GroupWork
from bot.core.tickets import TicketDesk
from bot.core.workflow import TransitionError
from bot.text import group_texts, render
from bot.text.catalogs import Texts
from handlers.answers import reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, Deputy, DeputyPrompt, Ticket
from storage.queries.outbox import delivered

# What can be passed on to a resident as a copy, besides text.
MEDIA = ("photo", "document", "voice", "video", "audio", "animation")
# What people write (not the chat's service messages: members joining, a topic created).
WRITTEN = frozenset(
    {
        ContentType.TEXT,
        *(ContentType(kind) for kind in MEDIA),
        ContentType.STICKER,
        ContentType.LOCATION,
        ContentType.CONTACT,
        ContentType.VIDEO_NOTE,
        ContentType.POLL,
    }
)


def has_media(message: Message) -> bool:
    return any(getattr(message, kind) is not None for kind in MEDIA)


def words_of(message: Message) -> str:
    return message.text or message.caption or ""


async def group_message(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
    internal_prefix: str,
) -> None:
    assert message.from_user is not None
    words = words_of(message)
    if words.startswith("/") or words.startswith(internal_prefix):
        return  # a command for someone else, or deputies talking among themselves
    address = str(message.chat.id)
    replied = message.reply_to_message
    ticket = None
    if replied is not None:
        receipt = str(replied.message_id)
        # What the bot sent there (a card, a notice, a question), else a deputy's reply passed
        # on: the ticket is read once, held for the step the reply takes.
        sent = await delivered(session, address, receipt)
        prompt = await work.prompt_of(session, sent) if sent is not None else None
        if prompt is not None:
            await answer_prompt(message, session, after_commit, desk, work, t, prompt)
            return
        if sent is not None and sent.ticket_id is not None:
            ticket = await desk.held(session, sent.ticket_id)
        elif (relay := await relays.relayed_at(session, address, receipt)) is not None:
            ticket = await desk.held(session, relay.ticket_id)
        if ticket is None and internal(replied, t, internal_prefix):
            return
    if ticket is None and message.is_topic_message and message.message_thread_id:
        # In a group with a topic per ticket, whatever is written in the topic is about it.
        ticket = await work.ticket_of_topic(session, address, str(message.message_thread_id))
    if ticket is None:
        if await group_of_chat(session, TELEGRAM, address) is not None:
            hint = group_texts.hint(t, internal_prefix)
            after_commit(lambda: message.reply(hint))
        return
    await pass_on(message, session, after_commit, desk, work, t, ticket)


def internal(replied: Message, t: Texts, internal_prefix: str) -> bool:
    """A reply to the hint, or to a message between deputies, is between deputies too."""
    text = words_of(replied)
    from_bot = replied.from_user is not None and replied.from_user.is_bot
    return text.startswith(internal_prefix) or (
        from_bot and replied.text == group_texts.hint(t, internal_prefix)
    )


async def pass_on(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
    ticket: Ticket,
) -> None:
    """A deputy's reply in the ticket's thread goes to the resident."""
    assert message.from_user is not None
    deputy = await desk.deputy_of_group(
        session, TELEGRAM, str(message.from_user.id), ticket.deputy_group_id
    )
    if deputy is None:
        refusal = t.gettext(
            "Only deputies registered with this group can answer residents, so this reply was "
            "not passed on. The street working committee can register you."
        )
        after_commit(lambda: message.reply(refusal))
        return
    media = has_media(message)
    if not message.text and not media:
        refusal = t.gettext(
            "Text, photos, documents, voice messages and videos can be passed on to the "
            "resident; this kind of message cannot."
        )
        after_commit(lambda: message.reply(refusal))
        return
    address = str(message.chat.id)
    copy = (address, str(message.message_id)) if media else None
    try:
        carried = await desk.reply_from_deputy(
            session, ticket, deputy, words_of(message), copy=copy
        )
    except TransitionError:
        closed = t.gettext(
            "{number} is {status}: a reply can no longer be passed on. Please contact the "
            "street working committee if the resident needs an answer."
        ).format(number=ticket.number, status=render.status_label(t, ticket.status))
        after_commit(lambda: message.reply(closed))
        return
    await session.flush()
    now = desk.clock.now()
    relays.remember(session, address, str(message.message_id), carried, ticket, now, deputy)
    if await work.resident_unreachable(session, ticket):
        passed_on = t.gettext(
            "The resident cannot be reached: they have stopped this bot. Your reply is kept "
            "with {number}."
        ).format(number=ticket.number)
    else:
        passed_on = t.gettext("Passed on to the resident ({number}).").format(number=ticket.number)
    # The reply is committed (and on its way to the resident) before this acknowledgement: if
    # it fails, the deputy must not be asked to reply again, or the resident hears it twice.
    after_commit(reported(lambda: message.reply(passed_on), f"the reply to {ticket.number}"))


async def answer_prompt(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
    prompt: DeputyPrompt,
) -> None:
    """A reply to a button's question (the answer, the reason, the question for the
    resident): the step the button began is taken now."""
    assert message.from_user is not None
    ticket = await session.get_one(Ticket, prompt.ticket_id)
    deputy = await desk.deputy_of_group(
        session, TELEGRAM, str(message.from_user.id), ticket.deputy_group_id
    )
    if deputy is None or deputy.id != prompt.deputy_id:
        asked = await session.get_one(Deputy, prompt.deputy_id)
        refusal = t.gettext("This question is for deputy {name}.").format(name=asked.name)
        after_commit(lambda: message.reply(refusal))
        return
    if not message.text or not message.text.strip():
        refusal = t.gettext("Please answer the question in words.")
        after_commit(lambda: message.reply(refusal))
        return
    try:
        await work.complete(session, prompt, deputy, message.text)
    except TransitionError:
        refusal = t.gettext("This cannot be done now: {number} is {status}.").format(
            number=ticket.number, status=render.status_label(t, ticket.status)
        )
        after_commit(lambda: message.reply(refusal))
        return
    done = (
        t.gettext("The resident has been asked ({number}).")
        if prompt.step == "need_info"
        else t.gettext("Done: {number} is now {status}.")
    ).format(number=ticket.number, status=render.status_label(t, ticket.status))
    after_commit(reported(lambda: message.reply(done), f"the question on {ticket.number}"))


async def group_edit(message: Message, session: AsyncSession, desk: TicketDesk) -> None:
    """A deputy edited a message that was passed on: the resident's copy is edited too."""
    relay = await relays.relayed_at(session, str(message.chat.id), str(message.message_id))
    if relay is not None:
        await relays.pass_edit(session, relay, words_of(message), desk.catalogs, desk.clock.now())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(group_message, F.from_user, F.content_type.in_(WRITTEN))
    router.edited_message.register(group_edit, F.from_user)
    return router
