"""Greeting, language and help."""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.commands import RESIDENT_COMMANDS
from bot.text.catalogs import LANGUAGE_NAMES, LOCALES, Catalogs, Texts
from handlers.answers import acknowledge, answer, edit, reported
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.area import area_picker
from storage.models import Resident


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        builder.button(text=LANGUAGE_NAMES[locale], callback_data=LanguageChoice(locale=locale))
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


async def start(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    assert message.from_user is not None
    greeting = (
        t.gettext(
            "Hello, {name}! This is the online channel of the people's congress liaison "
            "stations, open day and night. Your opinions and suggestions are passed on to "
            "the deputy group of your area."
        ).format(name=escape(message.from_user.first_name))
        + "\n\n"
        + t.gettext("Please choose your language:")
    )
    after_commit(lambda: answer(message.answer(greeting, reply_markup=language_keyboard())))


async def ask_language(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    question = t.gettext("Please choose your language:")
    after_commit(lambda: answer(message.answer(question, reply_markup=language_keyboard())))


async def show_help(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    after_commit(lambda: answer(message.answer(help_text(t))))


async def unknown_command(message: Message, after_commit: AfterCommit, t: Texts) -> None:
    text = t.gettext("This command is not recognised. Send /help for help.")
    after_commit(lambda: answer(message.answer(text)))


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
    text, keyboard = (
        await area_picker(session, t, None) if resident.area_id is None else (help_text(t), None)
    )

    async def tell() -> None:
        await acknowledge(query)
        # Edited already: the same button pressed twice; what follows was sent the first time.
        if await edit(message, chosen):
            await answer(message.answer(text, reply_markup=keyboard))

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
