"""Receptions in the deputy group's chat: /reception shows the sign-up list of the group's
coming receptions (what each resident wants to raise; names only where they agreed) with a
check-in button per resident; /checkin CODE checks a resident in by their code."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reception_signups import CHECK_IN_OPENS, Signups
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.text import receptions as words
from bot.text.catalogs import Texts
from handlers.answers import edit, reported
from handlers.middlewares.transaction import AfterCommit
from storage.models import TELEGRAM, DeputyGroup, Reception, ReceptionSignup, SignupStatus

SHOWN = 3  # receptions shown by /reception
VAGUE = (Refusal.OTHER_RECEPTION, Refusal.UNKNOWN_CODE)  # check-in refusals, vaguest last
CHECK_IN = r"^rci:(\d{1,18})$"


async def _sign_up_list(
    session: AsyncSession, receptions: ReceptionDesk, reception: Reception, t: Texts
) -> tuple[str, InlineKeyboardMarkup | None]:
    signed_up, waiting = await Signups(receptions).signed_up(session, reception)
    text = words.signup_list(t, reception, signed_up, waiting, receptions.timezone)
    builder = InlineKeyboardBuilder()
    for signup, _ in signed_up:
        if signup.checked_in_at is None:
            label = t.gettext("Check in {code}").format(code=signup.code)
            builder.button(text=label, callback_data=f"rci:{signup.id}")
    builder.adjust(2)
    return text, builder.as_markup() if builder.buttons else None


async def _group(
    session: AsyncSession, receptions: ReceptionDesk, message: Message
) -> DeputyGroup | None:
    return await Signups(receptions).group_at(session, TELEGRAM, str(message.chat.id))


async def show_receptions(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    group = await _group(session, receptions, message)
    if group is None:
        text = t.gettext("This chat is not the chat of a deputy group.")
        after_commit(lambda: message.reply(text))
        return
    now = receptions.clock.now()
    coming = (await Signups(receptions).current_for_group(session, group.id, now))[:SHOWN]
    if not coming:
        text = t.gettext("Your group has no coming receptions.")
        after_commit(lambda: message.reply(text))
        return
    lists = [await _sign_up_list(session, receptions, reception, t) for reception in coming]

    async def show() -> None:
        for text, keyboard in lists:
            await message.answer(text, reply_markup=keyboard)

    after_commit(show)


async def check_in_by_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    assert message.from_user is not None
    group = await _group(session, receptions, message)
    deputy = group and await desk.deputy_of_group(
        session, TELEGRAM, str(message.from_user.id), group.id
    )
    if group is None or deputy is None:
        refusal = t.gettext("Only deputies registered with this group can check residents in.")
        after_commit(lambda: message.reply(refusal))
        return
    code = (command.args or "").strip()
    if not code:
        usage = t.gettext("Please give the resident's check-in code, e.g. /checkin K7QM")
        after_commit(lambda: message.reply(usage))
        return
    text = await _check_in(session, receptions, group, code, t)
    after_commit(lambda: message.reply(text))


async def _check_in(
    session: AsyncSession, receptions: ReceptionDesk, group: DeputyGroup, code: str, t: Texts
) -> str:
    signups = Signups(receptions)
    now = receptions.clock.now()
    today = [
        reception
        for reception in await signups.current_for_group(session, group.id, now)
        if reception.starts_at <= now + CHECK_IN_OPENS
    ]
    if not today:
        return t.gettext("Your group has no reception today.")
    refusals: list[ReceptionRefused] = []
    for reception in today:
        try:
            signup = await signups.check_in(session, reception, code)
        except ReceptionRefused as refused:
            refusals.append(refused)
            continue
        return t.gettext("Checked in: {code}, {title}.").format(
            code=signup.code, title=words.title(t, reception)
        )
    # The reception where the code is (already checked in, on the waitlist) says most, then
    # "another reception", then "unknown code".
    best = min(
        refusals, key=lambda refused: VAGUE.index(r) + 1 if (r := refused.refusal) in VAGUE else 0
    )
    return await _refusal_text(session, receptions, best, t)


async def _refusal_text(
    session: AsyncSession, receptions: ReceptionDesk, refused: ReceptionRefused, t: Texts
) -> str:
    detail = ""
    if refused.refusal == Refusal.OTHER_RECEPTION:
        other = await session.get_one(Reception, int(refused.detail))
        detail = words.title(t, other) + " " + words.window(t, other, receptions.timezone)
    return words.refusal(t, refused.refusal, detail)


async def check_in_from_list(
    query: CallbackQuery,
    session: AsyncSession,
    after_commit: AfterCommit,
    desk: TicketDesk,
    receptions: ReceptionDesk,
    t: Texts,
) -> None:
    assert query.data is not None
    signup = await session.get(ReceptionSignup, int(query.data.split(":")[1]))
    reception = signup and await session.get_one(Reception, signup.reception_id)
    deputy = reception and await desk.deputy_of_group(
        session, TELEGRAM, str(query.from_user.id), reception.group_id
    )
    if signup is None or reception is None or deputy is None:
        refusal = t.gettext("Only deputies registered with this group can check residents in.")
        after_commit(lambda: query.answer(refusal, show_alert=True))
        return
    try:
        if signup.status != SignupStatus.CONFIRMED:
            raise ReceptionRefused(Refusal.NOT_CONFIRMED)
        await Signups(receptions).check_in(session, reception, signup.code)
    except ReceptionRefused as refused:
        text = await _refusal_text(session, receptions, refused, t)
        after_commit(lambda: query.answer(text, show_alert=True))
        return
    text, keyboard = await _sign_up_list(session, receptions, reception, t)
    done = t.gettext("Checked in: {code}, {title}.").format(
        code=signup.code, title=words.title(t, reception)
    )
    message = query.message

    async def refresh() -> None:
        await query.answer(done)
        if isinstance(message, Message):
            await edit(message, text, keyboard)

    after_commit(reported(refresh, f"the check-in of sign-up {signup.id}"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_receptions, Command("reception"))
    router.message.register(check_in_by_code, Command("checkin"))
    router.callback_query.register(check_in_from_list, F.data.regexp(CHECK_IN))
    return router
