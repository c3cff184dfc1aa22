"""A deputy answers a resident by replying to the ticket's card."""

from aiogram import F, Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
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
        await message.reply(
            t.gettext(
                "Only deputies registered with this group can answer residents, so this reply was "
                "not passed on. The street working committee can register you."
            )
        )
        return
    if not message.text:
        await message.reply(
            t.gettext("For now only text can be passed on to the resident. Please answer in words.")
        )
        return
    await desk.reply_from_deputy(session, ticket, deputy, message.text)
    passed_on = t.gettext("Passed on to the resident ({number}).").format(number=ticket.number)
    after_commit(lambda: message.reply(passed_on))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(deputy_reply, F.reply_to_message, F.from_user)
    return router
