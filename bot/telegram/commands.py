"""The commands residents can type, and the command menus Telegram shows for them, in each
language the catalogs have."""

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import BotCommand

from bot.text.catalogs import LOCALES, N_, Catalogs, locale_for, telegram_language


@dataclass(frozen=True)
class ResidentCommand:
    name: str
    description: str  # a message id of the catalogs


RESIDENT_COMMANDS = (
    ResidentCommand("start", N_("Start")),
    ResidentCommand("area", N_("Change your area")),
    ResidentCommand("receptions", N_("Receptions: meet your deputies")),
    ResidentCommand("language", N_("Change the language")),
    ResidentCommand("help", N_("Help")),
)


async def publish_command_menus(bot: Bot, catalogs: Catalogs) -> None:
    """One menu per language, and for users of any other language the menu in the language
    they are greeted in."""
    for locale in LOCALES:
        t = catalogs.get(locale)
        commands = [
            BotCommand(command=command.name, description=t.gettext(command.description))
            for command in RESIDENT_COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=telegram_language(locale))
        if locale == locale_for(None):
            await bot.set_my_commands(commands)
