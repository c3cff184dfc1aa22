"""A deputy answers a resident by replying to the ticket's card."""

from aiogram import F, Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.group_work import GroupWork
from bot.core.tickets import TicketDesk
from bot.core.workflow import TransitionError
from bot.text import render
from bot.text.catalogs import Texts
from handlers.answers import answer, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, Deputy, DeputyPrompt, Ticket


async def deputy_reply(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    work: GroupWork,
    t: Texts,
) -> None:
    assert message.reply_to_message is not None and message.from_user is not None
    address, receipt = str(message.chat.id), str(message.reply_to_message.message_id)
    prompt = await work.prompt_at(session, address, receipt)
    if prompt is not None:
        await answer_prompt(message, session, after_commit, desk, work, t, prompt)
        return
    ticket = await desk.ticket_of_message(session, address, receipt)
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
        after_commit(lambda: answer(message.reply(refusal)))
        return
    if not message.text or not message.text.strip():
        refusal = t.gettext("Please answer the question in words.")
        after_commit(lambda: answer(message.reply(refusal)))
        return
    try:
        await work.complete(session, prompt, deputy, message.text)
    except TransitionError:
        refusal = t.gettext("This cannot be done now: {number} is {status}.").format(
            number=ticket.number, status=render.status_label(t, ticket.status)
        )
        after_commit(lambda: answer(message.reply(refusal)))
        return
    done = (
        t.gettext("The resident has been asked ({number}).")
        if prompt.step == "need_info"
        else t.gettext("Done: {number} is now {status}.")
    ).format(number=ticket.number, status=render.status_label(t, ticket.status))
    after_commit(reported(lambda: answer(message.reply(done)), f"the question on {ticket.number}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(deputy_reply, F.reply_to_message, F.from_user)
    return router
