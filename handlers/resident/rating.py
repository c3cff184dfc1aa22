"""The resident rates how their opinion or suggestion was handled (满意度测评), from the
buttons of the question sent when it was concluded."""

from typing import Annotated

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.drafts import DraftBook
from bot.core.residents import ticket_of
from bot.core.tickets import TicketDesk
from bot.core.workflow import TransitionError
from bot.text import render
from bot.text.catalogs import Texts
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import Rating, Resident, Ticket, TicketStatus

RATING_BUTTON = r"^rate_(satisfied|fairly_satisfied|unsatisfied):(\d{1,18})$"


async def rate(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert query.data is not None
    name, number = query.data.removeprefix("rate_").split(":")
    ticket = await session.get(Ticket, int(number))
    rating = Rating(name)
    try:
        if ticket is None:
            raise TransitionError("no such ticket")
        await desk.rate(session, ticket, resident, rating)
    except TransitionError:
        refusal = t.gettext("This rating cannot be given: it was given already, or is not yours.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    thanks = t.gettext("Thank you for your rating: {rating}.").format(
        rating=render.rating_label(t, rating)
    )
    if ticket.status == TicketStatus.REOPENED:
        thanks += "\n" + t.gettext("Your opinion or suggestion will be handled again.")
    elif ticket.status == TicketStatus.ESCALATED:
        thanks += "\n" + t.gettext(
            "Your opinion or suggestion has been referred to the street working committee."
        )
    message = query.message
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Add a comment"), callback_data=CommentOn(ticket_id=ticket.id))
    keyboard = builder.as_markup()

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, f"{message.html_text}\n\n{thanks}", keyboard)

    after_commit(reported(confirm, f"the rating of {number}"))


class CommentOn(CallbackData, prefix="comment"):
    ticket_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


async def ask_comment(
    query: CallbackQuery,
    callback_data: CommentOn,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """The optional comment on a rating: the resident's next message is taken as it."""
    assert isinstance(query.message, Message)
    message = query.message
    ticket = await ticket_of(session, resident, callback_data.ticket_id)
    if ticket is None or ticket.rating_comment:
        refusal = t.gettext("A comment cannot be added here: given already, or not yours.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    draft = await drafts.load(session, resident.id)
    draft["comment_for"] = ticket.id
    ask = t.gettext("Please write your comment in one message.")

    async def tell() -> None:
        await acknowledge(query)
        await message.answer(ask)
        await drafts.save(resident.id, draft)

    after_commit(tell)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(rate, F.data.regexp(RATING_BUTTON))
    router.callback_query.register(ask_comment, CommentOn.filter())
    return router
