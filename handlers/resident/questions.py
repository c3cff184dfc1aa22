"""The resident answers a deputy's question (需补充) by replying to it, in words, a photo, a
file, a voice message or a video; the answer goes to the deputy group, under the ticket's
card, and an edit of it follows as an edit."""

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import relays
from bot.core.attachments import CAPTIONED
from bot.core.group_work import GroupWork
from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from handlers.answers import reported
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.media import media_in
from storage.models import RelayedMessage, Resident, Ticket


class ReplyToQuestion(Filter):
    """A reply to a deputy's question to this resident; passes the question's ticket on."""

    async def __call__(
        self, message: Message, session: AsyncSession, resident: Resident, work: GroupWork
    ) -> bool | dict[str, object]:
        if message.reply_to_message is None:
            return False
        ticket = await work.question_at(
            session, resident, str(message.chat.id), str(message.reply_to_message.message_id)
        )
        return {"ticket": ticket} if ticket is not None else False


class PassedOn(Filter):
    """A message of the resident's that was passed on to a deputy group."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict[str, object]:
        relay = await relays.relayed_at(session, str(message.chat.id), str(message.message_id))
        return {"relay": relay} if relay is not None else False


async def resident_answers(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    work: GroupWork,
    t: Texts,
    ticket: Ticket,
) -> None:
    attached = media_in(message)
    media = attached is not None and attached.kind in CAPTIONED
    words = message.text or message.caption or ""
    if not words and not media:
        refusal = t.gettext(
            "Please answer the deputy's question in words, or with a photo, a file, a voice "
            "message or a video."
        )
        after_commit(lambda: message.reply(refusal))
        return
    written_at = (str(message.chat.id), str(message.message_id))
    passed_on = await work.resident_adds(session, ticket, resident, words, written_at, media)
    thanks = (
        t.gettext("Thank you. Your answer has been passed on to the deputies ({number}).")
        if passed_on
        else t.gettext("Thank you. Your answer has been added to {number}.")
    ).format(number=ticket.number)
    after_commit(reported(lambda: message.reply(thanks), f"an answer on {ticket.number}"))


async def answer_edited(
    message: Message, session: AsyncSession, desk: TicketDesk, relay: RelayedMessage
) -> None:
    words = message.text or message.caption or ""
    await relays.pass_edit(session, relay, words, desk.catalogs, desk.clock.now())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(resident_answers, F.reply_to_message, ReplyToQuestion())
    router.edited_message.register(answer_edited, PassedOn())
    return router
