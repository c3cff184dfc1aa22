"""The resident's private chat: language, area, and opinions written as drafts and submitted."""

import contextlib
from html import escape
from uuid import uuid4

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGE_NAMES, LOCALES, Catalogs, Texts
from bot.render import area_name, area_path_text, place_name
from bot.residents import areas_under
from bot.routing import area_path
from bot.tickets import TicketDesk
from storage.models import Area, Resident

DRAFT_LIMIT = 3500  # characters; leaves room for the card around the text


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str


class AreaChoice(CallbackData, prefix="area"):
    area_id: int  # 0: the top of the tree
    pick: bool = False  # True: choose this area itself, not one below it


class DraftAction(CallbackData, prefix="draft"):
    action: str  # submit | cancel


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        builder.button(text=LANGUAGE_NAMES[locale], callback_data=LanguageChoice(locale=locale))
    return builder.as_markup()


def draft_keyboard(t: Texts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.gettext("Submit"), callback_data=DraftAction(action="submit"))
    builder.button(text=t.gettext("Cancel"), callback_data=DraftAction(action="cancel"))
    return builder.as_markup()


async def area_picker(
    session: AsyncSession, t: Texts, parent: Area | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question and buttons for choosing an area one level below `parent`."""
    areas = await areas_under(session, parent.id if parent else None)
    if parent is None and not areas:
        return t.gettext(
            "No areas have been set up yet, so opinions cannot be routed. Please try again later."
        ), None
    builder = InlineKeyboardBuilder()
    for area in areas:
        builder.button(text=area_name(t, area), callback_data=AreaChoice(area_id=area.id))
    builder.adjust(2)
    if parent is None:
        return t.gettext("Which district do you live in?"), builder.as_markup()
    builder.row(
        *InlineKeyboardBuilder()
        .button(
            text=t.gettext("None of these: {area}").format(area=area_name(t, parent)),
            callback_data=AreaChoice(area_id=parent.id, pick=True),
        )
        .button(text=t.gettext("« Back"), callback_data=AreaChoice(area_id=parent.parent_id or 0))
        .buttons
    )
    path = escape(area_path_text(t, await area_path(session, parent.id)))
    return t.gettext("{path}: please choose.").format(path=path), builder.as_markup()


def help_text(t: Texts) -> str:
    return t.gettext(
        "Write your opinion, complaint or suggestion here at any time: it goes to the deputy "
        "group of your area, and you will hear back here.\n\n"
        "/area: change your area\n"
        "/language: 语言 / language\n"
        "/help: this help"
    )


async def start(message: Message, t: Texts) -> None:
    assert message.from_user is not None
    await message.answer(
        t.gettext(
            "Hello, {name}! This is the online channel of the people's congress liaison "
            "stations. Deputies read what you write here and answer you here."
        ).format(name=escape(message.from_user.first_name))
        + "\n\n"
        + t.gettext("Please choose your language:"),
        reply_markup=language_keyboard(),
    )


async def ask_language(message: Message, t: Texts) -> None:
    await message.answer(
        t.gettext("Please choose your language:"), reply_markup=language_keyboard()
    )


async def ask_area(message: Message, session: AsyncSession, t: Texts) -> None:
    text, keyboard = await area_picker(session, t, None)
    await message.answer(text, reply_markup=keyboard)


async def show_help(message: Message, t: Texts) -> None:
    await message.answer(help_text(t))


async def unknown_command(message: Message, t: Texts) -> None:
    await message.answer(t.gettext("Sorry, I don't know that command.") + "\n\n" + help_text(t))


async def choose_language(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    resident: Resident,
    catalogs: Catalogs,
) -> None:
    resident.locale = callback_data.locale
    t = catalogs.get(resident.locale)
    assert isinstance(query.message, Message)
    await query.message.edit_text(
        t.gettext("Language: {language}.").format(language=LANGUAGE_NAMES[resident.locale])
    )
    if resident.area_id is None:
        text, keyboard = await area_picker(session, t, None)
        await query.message.answer(text, reply_markup=keyboard)
    else:
        await query.message.answer(help_text(t))
    await query.answer()


async def choose_area(
    query: CallbackQuery,
    callback_data: AreaChoice,
    session: AsyncSession,
    resident: Resident,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    area = await session.get(Area, callback_data.area_id) if callback_data.area_id else None
    below = await areas_under(session, area.id) if area else []
    if area is not None and (callback_data.pick or not below):
        resident.area_id = area.id
        path = escape(area_path_text(t, await area_path(session, area.id)))
        await query.message.edit_text(
            t.gettext("Your area: {area}.").format(area=path)
            + "\n\n"
            + t.gettext(
                "Now write your opinion, complaint or suggestion. You can send it in several "
                "messages, then press “Submit”."
            )
        )
    else:
        text, keyboard = await area_picker(session, t, area)
        with contextlib.suppress(TelegramBadRequest):  # pressing the same button twice
            await query.message.edit_text(text, reply_markup=keyboard)
    await query.answer()


async def collect_opinion(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.text is not None
    if resident.area_id is None:
        text, keyboard = await area_picker(session, t, None)
        await message.answer(
            t.gettext("First, please tell me your area, so the right deputies receive it.")
            + "\n\n"
            + text,
            reply_markup=keyboard,
        )
        return
    draft = (await state.get_data()).get("draft") or {"key": uuid4().hex, "parts": []}
    length = sum(len(part) for part in draft["parts"]) + len(message.text)
    if length > DRAFT_LIMIT:
        await message.answer(
            t.gettext(
                "That would make the opinion longer than {limit} characters. Please submit what "
                "you have written so far first, then send the rest as a new opinion."
            ).format(limit=DRAFT_LIMIT),
            reply_markup=draft_keyboard(t) if draft["parts"] else None,
        )
        return
    if "prompt_id" in draft:
        # Only the newest prompt keeps its buttons.
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=draft["prompt_id"], reply_markup=None
            )
    draft["parts"].append(message.text)
    parts = len(draft["parts"])
    prompt = await message.answer(
        t.ngettext(
            "Noted ({count} message, {length} characters). Add more, or press “Submit”.",
            "Noted ({count} messages, {length} characters). Add more, or press “Submit”.",
            parts,
        ).format(count=parts, length=length),
        reply_markup=draft_keyboard(t),
    )
    draft["prompt_id"] = prompt.message_id
    await state.update_data(draft=draft)


async def unsupported(message: Message, t: Texts) -> None:
    await message.answer(
        t.gettext("Sorry, for now I can only accept text. Please describe your opinion in words.")
    )


async def submit_draft(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    resident: Resident,
    desk: TicketDesk,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    draft = (await state.get_data()).get("draft")
    if not draft:
        await query.answer(
            t.gettext("There is nothing to submit: it was already submitted or cancelled."),
            show_alert=True,
        )
        return
    submission = await desk.submit_opinion(
        session, resident, "\n\n".join(draft["parts"]), draft["key"]
    )
    # Committed before the resident is told: a confirmed number always exists.
    await session.commit()
    await state.update_data(draft=None)
    ticket, group = submission.ticket, submission.group
    text = t.gettext("Received. Your opinion number is <b>{number}</b>.").format(
        number=ticket.number
    )
    if group is not None:
        text += "\n" + t.gettext(
            "It goes to {group} of {station}. You will be told here about every step."
        ).format(group=escape(place_name(t, group)), station=escape(place_name(t, group.station)))
    else:
        text += "\n" + t.gettext(
            "Staff will assign it to the responsible deputy group shortly, and you will be "
            "told here about every step."
        )
    text += "\n" + t.gettext("Please quote the number if you call about it.")
    await query.message.edit_text(text)
    await query.answer()


async def cancel_draft(query: CallbackQuery, state: FSMContext, t: Texts) -> None:
    assert isinstance(query.message, Message)
    await state.update_data(draft=None)
    await query.message.edit_text(t.gettext("Cancelled. Nothing was submitted."))
    await query.answer()


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.message.register(start, CommandStart(), F.from_user)
    router.message.register(ask_language, Command("language"))
    router.message.register(ask_area, Command("area"))
    router.message.register(show_help, Command("help"))
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(collect_opinion, F.text)
    router.message.register(unsupported)
    router.callback_query.register(choose_language, LanguageChoice.filter(F.locale.in_(LOCALES)))
    router.callback_query.register(choose_area, AreaChoice.filter())
    router.callback_query.register(submit_draft, DraftAction.filter(F.action == "submit"))
    router.callback_query.register(cancel_draft, DraftAction.filter(F.action == "cancel"))
    return router
