"""A deputy answers a resident by replying to the ticket's card."""

from aiogram import F, Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tickets import TicketDesk
from bot.core.workflow import TransitionError
from bot.text import render
from bot.text.catalogs import Texts
from handlers.answers import answer, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM


async def deputy_reply(
    message: Message, session: AsyncSession, after_commit: AfterCommit, desk: TicketDesk, t: Texts
) -> None:
    assert message.reply_to_message is not None and message.from_user is not None
    ticket = await desk.ticket_of_message(
        session, str(message.chat.id), str(message.reply_to_message.message_id)
    )
    if ticket is None:
        return  # deputies talking among themselves
    deputy = await desk.deputy_of_group(
        session, TELEGRAM, str(message.from_user.id), ticket.deputy_group_id
    )
    if deputy is None:
        refusal = t.gettext(
            "Only deputies registered with this group can answer residents, so this reply was "
            "not passed on. The street working committee can register you."
        )
        after_commit(lambda: answer(message.reply(refusal)))
        return
    if not message.text:
        refusal = t.gettext(
            "For now only text can be passed on to the resident. Please answer in words."
        )
        after_commit(lambda: answer(message.reply(refusal)))
        return
    try:
        await desk.reply_from_deputy(session, ticket, deputy, message.text)
    except TransitionError:
        closed = t.gettext(
            "{number} is {status}: a reply can no longer be passed on. Please contact the "
            "street working committee if the resident needs an answer."
        ).format(number=ticket.number, status=render.status_label(t, ticket.status))
        after_commit(lambda: answer(message.reply(closed)))
        return
    passed_on = t.gettext("Passed on to the resident ({number}).").format(number=ticket.number)
    # The reply is committed (and on its way to the resident) before this acknowledgement: if
    # it fails, the deputy must not be asked to reply again, or the resident hears it twice.
    after_commit(
        reported(lambda: answer(message.reply(passed_on)), f"the reply to {ticket.number}")
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(deputy_reply, F.reply_to_message, F.from_user)
    return router
