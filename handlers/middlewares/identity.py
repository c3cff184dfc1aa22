"""Who is writing: a resident writing privately is registered and gets their language; every
other update gets the default language."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update, User

from bot.clock import Clock
from bot.core.residents import register_resident
from bot.text.catalogs import Catalogs, locale_for
from bot.text.render import person_name
from storage.models import TELEGRAM

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Identity(BaseMiddleware):
    def __init__(self, clock: Clock, catalogs: Catalogs) -> None:
        self.clock = clock
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        data["resident"] = None
        data["t"] = self.catalogs.get(None)
        # Blocking or restarting the bot (my_chat_member) is no message: it must not make a
        # resident who blocked the bot look reachable again.
        membership = isinstance(event, Update) and event.my_chat_member is not None
        if (
            user is not None
            and chat is not None
            and chat.type == ChatType.PRIVATE
            and not membership
        ):
            resident = await register_resident(
                data["session"],
                TELEGRAM,
                str(user.id),
                person_name(user.first_name, user.last_name),
                locale_for(user.language_code),
                self.clock.now(),
            )
            data["resident"] = resident
            data["t"] = self.catalogs.get(resident.locale)
        return await handler(event, data)
