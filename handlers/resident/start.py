"""Greeting, language and help. The greeting speaks the resident's language (from Telegram's
`language_code`) without asking; a small button under it switches, and /language does too."""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.deadlines import policy_for
from bot.telegram.commands import RESIDENT_COMMANDS
from bot.text.catalogs import LANGUAGE_NAMES, LOCALES, Catalogs, Texts
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.area import area_picker
from storage.models import Resident


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str
    greeting: bool = False  # pressed under the greeting: the greeting is shown again in it


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        builder.button(text=LANGUAGE_NAMES[locale], callback_data=LanguageChoice(locale=locale))
    return builder.as_markup()


def switch_keyboard(locale: str) -> InlineKeyboardMarkup:
    """One small button under the greeting: the other language."""
    builder = InlineKeyboardBuilder()
    for other in LOCALES:
        if other != locale:
            builder.button(
                text=LANGUAGE_NAMES[other],
                callback_data=LanguageChoice(locale=other, greeting=True),
            )
    return builder.as_markup()


def help_text(t: Texts) -> str:
    commands = (
        t.gettext("/{command}: {description}").format(
            command=command.name, description=t.gettext(command.description)
        )
        for command in RESIDENT_COMMANDS
    )
    return (
        t.gettext(
            "Send your opinions and suggestions here at any time. They are passed on to the "
            "deputy group of your area, and progress is reported here."
        )
        + "\n\n"
        + "\n".join(commands)
    )


async def greeting_text(session: AsyncSession, t: Texts, name: str) -> str:
    """Three short lines: who we are, who reads a message, and when they must answer."""
    policy = await policy_for(session, None)
    return "\n".join(
        (
            t.gettext(
                "Hello, {name}! This is the online channel of the people's congress liaison "
                "stations, open day and night."
            ).format(name=escape(name)),
            t.gettext(
                "Your opinions and suggestions go to the deputy group of your area; the "
                "deputies read them and answer here."
            ),
            t.ngettext(
                "They must accept them within {accept} working day and answer within {days} "
                "working days; progress is reported here.",
                "They must accept them within {accept} working days and answer within {days} "
                "working days; progress is reported here.",
                policy.acknowledge_days,
            ).format(accept=policy.acknowledge_days, days=policy.answer_days),
        )
    )


async def next_step(
    session: AsyncSession, t: Texts, resident: Resident
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the resident is asked after the greeting: their area once, then to write."""
    if resident.area_id is None:
        return await area_picker(session, t, None)
    return t.gettext(
        "Please write your opinion or suggestion. You can send it in several messages, then "
        "press “Submit”. Send /help for the commands."
    ), None


async def start(
    message: Message,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    assert message.from_user is not None
    greeting = await greeting_text(session, t, message.from_user.first_name)
    text, keyboard = await next_step(session, t, resident)
    switch = switch_keyboard(resident.locale)

    async def greet() -> None:
        await message.answer(greeting, reply_markup=switch)
        await message.answer(text, reply_markup=keyboard)

    after_commit(greet)


async def ask_language(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    question = t.gettext("Please choose your language:")
    after_commit(lambda: message.answer(question, reply_markup=language_keyboard()))


async def show_help(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    after_commit(lambda: message.answer(help_text(t)))


async def unknown_command(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    text = t.gettext("This command is not recognised. Send /help for help.")
    after_commit(lambda: message.answer(text))


async def choose_language(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    catalogs: Catalogs,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    resident.locale = callback_data.locale
    t = catalogs.get(resident.locale)
    chosen = t.gettext("Language set to {language}.").format(
        language=LANGUAGE_NAMES[resident.locale]
    )
    text, keyboard = await next_step(session, t, resident)
    if callback_data.greeting:
        greeting = await greeting_text(session, t, query.from_user.first_name)
        shown, shown_keyboard = greeting, switch_keyboard(resident.locale)
        text = f"{chosen}\n\n{text}"
    else:
        shown, shown_keyboard = chosen, None

    async def tell() -> None:
        await acknowledge(query)
        # Edited already: the same button pressed twice; what follows was sent the first time.
        if await edit(message, shown, shown_keyboard):
            await message.answer(text, reply_markup=keyboard)

    # Told only once the language is saved, and a failure to tell does not undo it.
    after_commit(reported(tell, f"resident {resident.id}'s language"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart(), F.from_user)
    router.message.register(ask_language, Command("language"))
    router.message.register(show_help, Command("help"))
    router.message.register(unknown_command, F.text.startswith("/"))
    router.callback_query.register(choose_language, LanguageChoice.filter(F.locale.in_(LOCALES)))
    return router
