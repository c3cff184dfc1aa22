"""A message written while the resident has open tickets and no draft: the bot asks whether it
belongs to one of them (an addition, passed to the deputies in the ticket's thread) or begins
a new opinion. The message is kept as a draft meanwhile, so nothing is lost."""

from typing import Annotated

from aiogram import Bot, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.additions import add_to_ticket
from bot.core.attachments import media_of
from bot.core.drafts import DraftBook
from bot.core.residents import ticket_of
from bot.core.tickets import TicketDesk
from bot.text.catalogs import Texts
from handlers.answers import acknowledge, edit
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.drafts import Draft, draft_text, prompt_to_submit
from storage.models import Resident, Ticket


class BelongsTo(CallbackData, prefix="about"):
    ticket_id: Annotated[int, Field(ge=0, le=2**63 - 1)]  # 0: a new opinion or suggestion


def belongs_keyboard(t: Texts, tickets: list[Ticket]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for ticket in tickets:
        builder.button(
            text=t.gettext("Add to {number}").format(number=ticket.number),
            callback_data=BelongsTo(ticket_id=ticket.id),
        )
    builder.button(
        text=t.gettext("A new opinion or suggestion"), callback_data=BelongsTo(ticket_id=0)
    )
    builder.adjust(1)
    return builder.as_markup()


async def ask_where_it_belongs(
    message: Message,
    drafts: DraftBook,
    resident: Resident,
    t: Texts,
    draft: Draft,
    tickets: list[Ticket],
) -> None:
    question = t.gettext(
        "Does this belong to one of your opinions or suggestions being handled, or is it a new one?"
    )
    await message.answer(question, reply_markup=belongs_keyboard(t, tickets))
    await drafts.save(resident.id, draft)


async def belongs_to(
    query: CallbackQuery,
    callback_data: BelongsTo,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    draft = await drafts.load(session, resident.id)
    if not draft["parts"]:
        nothing = t.gettext("There is nothing to submit (already submitted or cancelled).")
        after_commit(lambda: query.answer(nothing, show_alert=True))
        return
    if callback_data.ticket_id == 0:

        async def new_opinion() -> None:
            await acknowledge(query)
            if await edit(message, t.gettext("A new opinion or suggestion, then.")):
                await prompt_to_submit(bot, message, drafts, resident.id, t, draft)

        after_commit(new_opinion)
        return
    ticket = await ticket_of(session, resident, callback_data.ticket_id)
    if ticket is None or not await add_to_ticket(
        session, desk, ticket, resident, draft_text(draft), media_of(draft["parts"])
    ):
        refusal = t.gettext("This cannot be added to: it is not yours, or no longer open.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    added = t.gettext("Added to {number}. The deputy group handling it is told.").format(
        number=ticket.number
    )

    async def tell() -> None:
        await edit(message, added)
        await drafts.discard(resident.id)
        await acknowledge(query)

    after_commit(tell)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(belongs_to, BelongsTo.filter())
    return router
