"""Receptions for residents: /receptions lists the coming ones (their own station first, then
nearby), each opens to its details; sign up in two taps (open, then sign up showing the name or
not), optionally say in a line what to raise; cancel (from the details or a reminder); follow
a station's announcements; /follow CODE claims what they raised at a reception without having
signed up, with the code the deputies gave them."""

from datetime import datetime, timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.reception_messages import CANCEL_SIGNUP, OPEN
from bot.core.reception_outcomes import RATE, ReceptionOutcomes
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.text import receptions as words
from bot.text.catalogs import Texts
from bot.text.render import name_in, rating_label, status_label
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import (
    Rating,
    Reception,
    ReceptionSignup,
    ReceptionStatus,
    Resident,
    SignupStatus,
    Station,
)

LIST_LIMIT = 10
TOPIC_KEY = "reception_topic"  # FSM data: the sign-up whose topic line is awaited, and since
TOPIC_WAIT = timedelta(minutes=30)  # after this, a line is an opinion again, not a topic
SIGN_UP = r"^rs([na]):(\d{1,18})$"  # n: the deputies may see the name; a: they may not
FOLLOW = r"^r(sub|uns):(\d{1,18})$"
RATE_BUTTON = rf"^{RATE}_(satisfied|fairly_satisfied|unsatisfied):(\d{{1,18}})$"


async def _listing(
    session: AsyncSession, receptions: ReceptionDesk, resident: Resident, t: Texts
) -> tuple[str, InlineKeyboardMarkup | None]:
    signups = Signups(receptions)
    coming = (await receptions.coming(session, resident.area_id))[:LIST_LIMIT]
    builder = InlineKeyboardBuilder()
    lines = []
    for number, reception in enumerate(coming, start=1):
        taken = await receptions.taken(session, reception)
        lines.append(f"{number}. " + words.list_line(t, reception, taken, receptions.timezone))
        label = f"{number}. " + words.kind_label(t, reception.kind)
        builder.button(text=label, callback_data=f"{OPEN}:{reception.id}")
    station = await receptions.station_of_area(session, resident.area_id)
    if station is not None and not await signups.subscribed(session, resident, station):
        builder.button(
            text=t.gettext("Follow {station}").format(station=name_in(t, station)),
            callback_data=f"rsub:{station.id}",
        )
    builder.button(text=t.gettext("Ask for a micro reception"), callback_data="rreq")
    builder.adjust(1)
    if not lines:
        text = t.gettext("No receptions are scheduled at the moment.")
    else:
        text = (
            "<b>"
            + t.gettext("Coming receptions")
            + "</b>\n"
            + "\n".join(lines)
            + "\n\n"
            + t.gettext("Choose one to see its details and sign up.")
        )
    return text, builder.as_markup()


async def list_receptions(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    await state.update_data({TOPIC_KEY: None, "reception_request": None})
    text, keyboard = await _listing(session, receptions, resident, t)
    after_commit(lambda: message.answer(text, reply_markup=keyboard))


async def _details(
    session: AsyncSession,
    receptions: ReceptionDesk,
    reception: Reception,
    resident: Resident,
    t: Texts,
) -> tuple[str, InlineKeyboardMarkup]:
    signups = Signups(receptions)
    mine = await signups.signup_of(session, reception, resident)
    taken = await receptions.taken(session, reception)
    text = words.details(t, reception, taken, receptions.timezone, mine)
    builder = InlineKeyboardBuilder()
    open_for_signup = (
        reception.status == ReceptionStatus.SCHEDULED
        and reception.starts_at > receptions.clock.now()
    )
    if reception.status == ReceptionStatus.CANCELLED:
        text += "\n\n" + words.refusal(t, "cancelled")
    elif mine is not None and mine.status != SignupStatus.CANCELLED:
        if open_for_signup:
            builder.button(text=t.gettext("Cancel my sign-up"), callback_data=f"rcx:{mine.id}")
    elif open_for_signup:
        full = taken >= reception.capacity
        builder.button(
            text=t.gettext("Join the waitlist, showing my name")
            if full
            else t.gettext("Sign up, showing my name"),
            callback_data=f"rsn:{reception.id}",
        )
        builder.button(
            text=t.gettext("Join the waitlist, without my name")
            if full
            else t.gettext("Sign up, without my name"),
            callback_data=f"rsa:{reception.id}",
        )
    station = reception.station
    if await signups.subscribed(session, resident, station):
        label = t.gettext("Stop following this station")
        builder.button(text=label, callback_data=f"runs:{station.id}")
    else:
        builder.button(
            text=t.gettext("Follow {station}").format(station=name_in(t, station)),
            callback_data=f"rsub:{station.id}",
        )
    builder.adjust(1)
    return text, builder.as_markup()


async def open_reception(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    reception = await session.get(Reception, int(query.data.split(":")[1]))
    if reception is None:
        refusal = t.gettext("This button is out of date. Please start again.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    text, keyboard = await _details(session, receptions, reception, resident, t)
    message = query.message

    async def show() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await message.answer(text, reply_markup=keyboard)

    after_commit(show)


async def sign_up(
    query: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    clock: Clock,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    choice, number = query.data.removeprefix("rs").split(":")
    reception = await session.get(Reception, int(number))
    if reception is None:
        refusal = t.gettext("This button is out of date. Please start again.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    try:
        signup = await Signups(receptions).sign_up(session, reception, resident, choice == "n")
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    await state.update_data({TOPIC_KEY: {"signup": signup.id, "asked_at": clock.now().isoformat()}})
    done = (
        words.signup_state(t, signup)
        + "\n\n"
        + t.gettext(
            "If you like, send one line saying what you want to raise, so the deputies can prepare."
        )
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Cancel my sign-up"), callback_data=f"rcx:{signup.id}")
    message = query.message

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, f"{message.html_text}\n\n{done}", builder.as_markup())

    after_commit(reported(confirm, f"sign-up {signup.id}"))


async def awaiting_topic(
    message: Message, state: FSMContext, clock: Clock
) -> bool | dict[str, Any]:
    """A line right after signing up (not a command) is what the resident wants to raise."""
    if not message.text or message.text.startswith("/"):
        return False
    pending = (await state.get_data()).get(TOPIC_KEY)
    if not pending:
        return False
    if clock.now() - datetime.fromisoformat(pending["asked_at"]) > TOPIC_WAIT:
        return False
    return {"pending_signup": int(pending["signup"])}


async def take_topic(
    message: Message,
    pending_signup: int,
    session: AsyncSession,
    state: FSMContext,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.text is not None
    await state.update_data({TOPIC_KEY: None})
    signup = await session.get(ReceptionSignup, pending_signup)
    try:
        if signup is None:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        await Signups(receptions).set_topic(session, signup, resident, message.text)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: message.answer(text))
        return
    noted = t.gettext("Noted. The deputies will see it on the sign-up list.")
    after_commit(lambda: message.answer(noted))


async def cancel_signup(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    signup = await session.get(ReceptionSignup, int(query.data.split(":")[1]))
    try:
        if signup is None:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        await Signups(receptions).cancel(session, signup, resident)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    done = t.gettext("Your sign-up is cancelled.")
    message = query.message

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, f"{message.html_text}\n\n{done}")

    after_commit(reported(confirm, f"the cancellation of sign-up {signup.id}"))


async def follow(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    action, number = query.data.removeprefix("r").split(":")
    station = await session.get(Station, int(number))
    if station is None or not station.active:
        refusal = t.gettext("This button is out of date. Please start again.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    signups = Signups(receptions)
    name = name_in(t, station)
    if action == "sub":
        await signups.subscribe(session, resident, station)
        done = t.gettext(
            "You now follow {station}: new receptions, changes and cancellations will be "
            "announced here."
        ).format(station=escape(name))
    else:
        await signups.unsubscribe(session, resident, station)
        done = t.gettext("You no longer follow {station}.").format(station=escape(name))
    after_commit(reported(lambda: query.answer(done, show_alert=True), "a follow"))


async def rate_reception(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    assert query.data is not None
    name, number = query.data.removeprefix(f"{RATE}_").split(":")
    signup = await session.get(ReceptionSignup, int(number))
    rating = Rating(name)
    try:
        if signup is None:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        await ReceptionOutcomes(receptions, desk).rate(session, signup, resident, rating)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    thanks = t.gettext("Thank you for your rating: {rating}.").format(
        rating=rating_label(t, rating)
    )
    message = query.message

    async def confirm() -> None:
        await acknowledge(query)
        if isinstance(message, Message):
            await edit(message, f"{message.html_text}\n\n{thanks}")

    after_commit(reported(confirm, f"the rating of sign-up {number}"))


async def claim_raised(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    resident: Resident,
    t: Texts,
) -> None:
    code = (command.args or "").strip()
    outcomes = ReceptionOutcomes(receptions, desk)
    try:
        if not code:
            raise ReceptionRefused(Refusal.UNKNOWN_CLAIM)
        ticket = await outcomes.claim(session, resident, code)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: message.answer(text))
        return
    reception = await outcomes.reception_of(session, ticket)
    assert reception is not None
    text = words.claimed(
        t, reception, ticket.number, status_label(t, ticket.status), receptions.timezone
    )
    after_commit(reported(lambda: message.answer(text), ticket.number))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(list_receptions, Command("receptions"))
    router.message.register(claim_raised, Command("follow"))
    router.message.register(take_topic, F.text, awaiting_topic)
    router.callback_query.register(open_reception, F.data.regexp(rf"^{OPEN}:\d{{1,18}}$"))
    router.callback_query.register(sign_up, F.data.regexp(SIGN_UP))
    router.callback_query.register(cancel_signup, F.data.regexp(rf"^{CANCEL_SIGNUP}:\d{{1,18}}$"))
    router.callback_query.register(follow, F.data.regexp(FOLLOW))
    router.callback_query.register(rate_reception, F.data.regexp(RATE_BUTTON))
    return router
