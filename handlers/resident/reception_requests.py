"""A resident asks for a micro reception (微接待): from /receptions, a line on the topic, then
the days and the time of day that suit them (two taps); the request becomes an opinion or
suggestion routed to the deputy group. Later they pick one of the times a deputy proposed, or
decline them all."""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.reception_requests import DECLINE, PICK, Days, ReceptionRequests, TimeOfDay
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.text import receptions as words
from bot.text.catalogs import Texts
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import Resident

REQUEST_KEY = "reception_request"  # FSM data: {"key", "asked_at", "topic"?}
WAIT = timedelta(minutes=30)
ASK = "rreq"
DAYS = r"^rqd:(weekdays|weekend|any)$"
TIMES = r"^rqt:(weekdays|weekend|any):(morning|afternoon|evening|any)$"
ANSWER = rf"^(?:{PICK}(\d)|{DECLINE}):(\d{{1,18}})$"


async def ask_for_one(
    query: CallbackQuery, state: FSMContext, after_commit: AfterCommit, clock: Clock, t: Texts
) -> None:
    await state.update_data(
        {REQUEST_KEY: {"key": uuid4().hex, "asked_at": clock.now().isoformat()}}
    )
    text = t.gettext("Please say in one line what you would like to talk about with a deputy:")
    message = query.message

    async def prompt() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await message.answer(text)

    after_commit(prompt)


async def awaiting_request_topic(
    message: Message, state: FSMContext, clock: Clock
) -> bool | dict[str, Any]:
    if not message.text or message.text.startswith("/"):
        return False
    pending = (await state.get_data()).get(REQUEST_KEY)
    if not pending or "topic" in pending:
        return False
    if clock.now() - datetime.fromisoformat(pending["asked_at"]) > WAIT:
        return False
    return {"pending_request": pending}


async def take_topic(
    message: Message,
    pending_request: dict[str, Any],
    state: FSMContext,
    after_commit: AfterCommit,
    t: Texts,
) -> None:
    assert message.text is not None
    await state.update_data({REQUEST_KEY: {**pending_request, "topic": message.text[:300]}})
    builder = InlineKeyboardBuilder()
    for days in Days:
        builder.button(text=words.days_label(t, days.value), callback_data=f"rqd:{days.value}")
    question = t.gettext("Which days suit you?")
    after_commit(lambda: message.answer(question, reply_markup=builder.as_markup()))


async def choose_days(query: CallbackQuery, after_commit: AfterCommit, t: Texts) -> None:
    assert query.data is not None
    days = query.data.split(":")[1]
    builder = InlineKeyboardBuilder()
    for times in TimeOfDay:
        label = words.times_label(t, times.value)
        builder.button(text=label, callback_data=f"rqt:{days}:{times.value}")
    builder.adjust(2)
    message = query.message
    question = t.gettext("Which time of day?")

    async def next_question() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, question, builder.as_markup())

    after_commit(next_question)


async def submit_request(
    query: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    _, days, times = query.data.split(":")
    pending = (await state.get_data()).get(REQUEST_KEY)
    if not pending or "topic" not in pending:
        stale = t.gettext("This button is out of date. Please start again.")
        after_commit(lambda: query.answer(stale, show_alert=True))
        return
    _, ticket = await ReceptionRequests(receptions, desk).ask(
        session, resident, pending["topic"], Days(days), TimeOfDay(times), pending["key"]
    )
    await state.update_data({REQUEST_KEY: None})
    number = ticket.number
    done = t.gettext(
        "Your request for a micro reception has been submitted ({number}). The deputy group "
        "will agree a time with you here."
    ).format(number=number)
    message = query.message

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, done)

    after_commit(reported(confirm, f"micro-reception request {number}"))


async def answer_proposal(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    head, number = query.data.split(":")
    requests = ReceptionRequests(receptions, desk)
    request = await requests.get(session, int(number))
    try:
        if request is None:
            raise ReceptionRefused(Refusal.NO_PROPOSAL)
        if head == DECLINE:
            await requests.decline(session, request, resident)
            done = t.gettext("The deputy group has been told and will propose other times.")
        else:
            reception = await requests.pick(session, request, resident, int(head[len(PICK) :]))
            signup = await requests.signup(session, reception, resident)
            done = t.gettext(
                "Micro reception arranged: {window}, {place}. Your check-in code: <b>{code}</b>"
            ).format(
                window=words.window(t, reception, receptions.timezone),
                place=words.where(t, reception),
                code=signup.code,
            )
    except ReceptionRefused as refused:
        if refused.refusal in (Refusal.IN_THE_PAST, Refusal.DEPUTY_BUSY):
            text = t.gettext(
                "That time is no longer available; the deputy group will propose others."
            )
        else:
            text = words.refusal(t, refused.refusal)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    message = query.message

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, f"{message.html_text}\n\n{done}")

    after_commit(reported(confirm, f"the answer to proposal {number}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(take_topic, F.text, awaiting_request_topic)
    router.callback_query.register(ask_for_one, F.data == ASK)
    router.callback_query.register(choose_days, F.data.regexp(DAYS))
    router.callback_query.register(submit_request, F.data.regexp(TIMES))
    router.callback_query.register(answer_proposal, F.data.regexp(ANSWER))
    return router
