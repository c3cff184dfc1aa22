"""A deputy acts on a ticket from the buttons of its card: accept it (受理), conclude it once
answered (办结), or say it is not for this group (the next group by the routing rules takes
it)."""

from aiogram import F, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tickets import TicketDesk
from bot.core.timeline import Who
from bot.core.workflow import Step, TransitionError
from bot.text import render
from bot.text.catalogs import Texts
from handlers.answers import answer, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, Actor, Ticket

CARD_BUTTON = r"^(accept|close|reroute):(\d{1,18})$"


async def card_action(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert query.data is not None
    name, number = query.data.split(":")
    ticket = await session.get(Ticket, int(number))
    deputy = ticket and await desk.deputy_of_group(
        session, TELEGRAM, str(query.from_user.id), ticket.deputy_group_id
    )
    if ticket is None or deputy is None:
        refusal = t.gettext("Only deputies registered with the group holding it can act on it.")
        after_commit(lambda: answer(query.answer(refusal, show_alert=True)))
        return
    step = Step(name)
    try:
        if step == Step.ACCEPT:
            await desk.accept(session, ticket, deputy)
        elif step == Step.CLOSE:
            await desk.close(session, ticket, Who(Actor.DEPUTY, deputy.id))
        else:
            await desk.reroute(session, ticket, Who(Actor.DEPUTY, deputy.id))
    except TransitionError:
        refusal = t.gettext("This cannot be done now: {number} is {status}.").format(
            number=ticket.number, status=render.status_label(t, ticket.status)
        )
        after_commit(lambda: answer(query.answer(refusal, show_alert=True)))
        return
    done = t.gettext("Done: {number} is now {status}.").format(
        number=ticket.number, status=render.status_label(t, ticket.status)
    )
    after_commit(reported(lambda: answer(query.answer(done)), f"{step} of {ticket.number}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(card_action, F.data.regexp(CARD_BUTTON))
    return router
