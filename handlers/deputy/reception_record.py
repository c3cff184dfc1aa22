"""After a reception, in the deputy group's chat: /attendance shows its record with a button
per deputy on duty (came, did not come) and one to close it, which asks the residents who came
to rate it; /raised CODE text records what a signed-up resident raised, as an opinion or
suggestion they follow like any other; /walkin text what someone raised who came without signing
up, with a claim code to give them."""

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reception_outcomes import ReceptionOutcomes
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.text import receptions as words
from bot.text.catalogs import Texts
from handlers.answers import edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, Deputy, Reception

ATTENDED = r"^rat:(\d{1,18}):(\d{1,18}):([01])$"  # reception, deputy, came
CLOSE = r"^rcl:(\d{1,18})$"


async def _record(
    session: AsyncSession, outcomes: ReceptionOutcomes, reception: Reception, t: Texts
) -> tuple[str, InlineKeyboardMarkup | None]:
    numbers = await outcomes.outcome_numbers(session, reception)
    closed = reception.closed_at is not None
    text = words.attendance(t, reception, outcomes.receptions.timezone, numbers, closed)
    if closed:
        return text, None
    builder = InlineKeyboardBuilder()
    for duty in reception.duties:
        for came, label in ((1, t.gettext("{name} came")), (0, t.gettext("{name} did not come"))):
            builder.button(
                text=label.format(name=duty.deputy.name),
                callback_data=f"rat:{reception.id}:{duty.deputy_id}:{came}",
            )
    builder.button(text=t.gettext("Close the record"), callback_data=f"rcl:{reception.id}")
    builder.adjust(2)
    return text, builder.as_markup()


async def _keeper(
    session: AsyncSession,
    desk: TicketDesk,
    outcomes: ReceptionOutcomes,
    reception: Reception,
    user_id: int,
) -> Deputy | None:
    """A deputy of the group, on duty at the reception (any of the group if none was named)."""
    deputy = await desk.deputy_of_group(session, TELEGRAM, str(user_id), reception.group_id)
    return deputy if deputy is not None and outcomes.on_duty(reception, deputy) else None


async def _reception_to_record(
    session: AsyncSession, receptions: ReceptionDesk, outcomes: ReceptionOutcomes, chat_id: int
) -> Reception | None:
    group = await Signups(receptions).group_at(session, TELEGRAM, str(chat_id))
    return await outcomes.to_record(session, group.id) if group is not None else None


async def show_record(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    outcomes = ReceptionOutcomes(receptions, desk)
    reception = await _reception_to_record(session, receptions, outcomes, message.chat.id)
    if reception is None:
        text = t.gettext("Your group has no reception whose record is open.")
        after_commit(lambda: message.reply(text))
        return
    text, keyboard = await _record(session, outcomes, reception, t)
    after_commit(lambda: message.answer(text, reply_markup=keyboard))


async def _open_record(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    outcomes: ReceptionOutcomes,
    t: Texts,
) -> Reception | None:
    """The group's reception whose record is open, when the deputy writing may keep it;
    otherwise the deputy is told why and None."""
    assert message.from_user is not None
    desk, receptions = outcomes.tickets, outcomes.receptions
    reception = await _reception_to_record(session, receptions, outcomes, message.chat.id)
    if reception is None:
        text = t.gettext("Your group has no reception whose record is open.")
    elif await _keeper(session, desk, outcomes, reception, message.from_user.id) is None:
        text = words.refusal(t, Refusal.NOT_ON_DUTY)
    else:
        return reception
    after_commit(lambda: message.reply(text))
    return None


async def raise_issue(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    """/raised CODE what a signed-up resident raised."""
    await _raised(message, command, session, after_commit, ReceptionOutcomes(receptions, desk), t)


async def raise_walk_in(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    """/walkin what someone raised who came without signing up."""
    outcomes = ReceptionOutcomes(receptions, desk)
    await _raised(message, command, session, after_commit, outcomes, t, walk_in=True)


async def _raised(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    outcomes: ReceptionOutcomes,
    t: Texts,
    walk_in: bool = False,
) -> None:
    reception = await _open_record(message, session, after_commit, outcomes, t)
    if reception is None:
        return
    args = (command.args or "").strip()
    code, issue = ("", args) if walk_in else (args.partition(" ")[0], args.partition(" ")[2])
    if not issue.strip() or not (code or walk_in):
        usage = (
            t.gettext(
                "Please write what the person who came without signing up raised, e.g. "
                "/walkin 小区门口路灯不亮"
            )
            if walk_in
            else t.gettext(
                "Please give the resident's check-in code and what they raised, e.g. "
                "/raised K7QM 小区路灯不亮"
            )
        )
        after_commit(lambda: message.reply(usage))
        return
    key = f"{message.chat.id}:{message.message_id}"
    try:
        if walk_in:
            made = await outcomes.raise_walk_in(session, reception, issue, key)
            number = made.ticket.number
            done = words.walk_in_recorded(t, number, made.claim_code)
        else:
            raised = await outcomes.raise_issue(session, reception, code, issue, key)
            number = raised.ticket.number
            done = t.gettext(
                "Recorded as opinion or suggestion {number}; the resident ({code}) is told and "
                "can follow it."
            ).format(number=number, code=raised.signup.code)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: message.reply(text))
        return
    after_commit(reported(lambda: message.reply(done), number))


async def mark_attendance(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    assert query.data is not None
    _, reception_id, deputy_id, came = query.data.split(":")
    await _act(
        query,
        session,
        after_commit,
        desk,
        receptions,
        t,
        int(reception_id),
        lambda outcomes, reception: outcomes.mark_attendance(
            session, reception, int(deputy_id), came == "1"
        ),
    )


async def close_record(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    assert query.data is not None
    reception_id = int(query.data.split(":")[1])
    await _act(
        query,
        session,
        after_commit,
        desk,
        receptions,
        t,
        reception_id,
        lambda outcomes, reception: outcomes.close_record(session, reception),
    )


Step = Callable[[ReceptionOutcomes, Reception], Awaitable[object]]


async def _act(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
    reception_id: int,
    step: Step,
) -> None:
    """A deputy on duty presses a button of the record: the step, then the record anew."""
    outcomes = ReceptionOutcomes(receptions, desk)
    reception = await session.get(Reception, reception_id)
    keeper = reception and await _keeper(session, desk, outcomes, reception, query.from_user.id)
    try:
        if reception is None or keeper is None:
            raise ReceptionRefused(Refusal.NOT_ON_DUTY)
        await step(outcomes, reception)
    except ReceptionRefused as refused:
        text = words.refusal(t, refused.refusal)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    text, keyboard = await _record(session, outcomes, reception, t)
    message = query.message

    async def refresh() -> None:
        await query.answer()
        if isinstance(message, Message):
            await edit(message, text, keyboard)

    after_commit(reported(refresh, f"the record of reception {reception_id}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_record, Command("attendance"))
    router.message.register(raise_issue, Command("raised"))
    router.message.register(raise_walk_in, Command("walkin"))
    router.callback_query.register(mark_attendance, F.data.regexp(ATTENDED))
    router.callback_query.register(close_record, F.data.regexp(CLOSE))
    return router
