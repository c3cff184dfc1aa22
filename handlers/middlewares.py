"""What every update gets before a handler sees it."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import Catalogs, locale_for
from bot.residents import register_telegram_resident
from bot.updates import claim_update

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateContext(BaseMiddleware):
    """One database session per update, committed when the handler is done; a redelivered
    update is skipped; a resident writing privately is registered and gets their language.
    It runs inside the FSM's event isolation, so one person's updates come one at a time."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        catalogs: Catalogs,
        after_commit: Callable[[], None],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.catalogs = catalogs
        self.after_commit = after_commit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.sessionmaker() as session:
            if not await claim_update(session, event.update_id, self.clock.now()):
                log.info("update %s was already processed; skipped", event.update_id)
                return UNHANDLED
            data["session"] = session
            user: User | None = data.get("event_from_user")
            chat: Chat | None = data.get("event_chat")
            data["resident"] = None
            data["t"] = self.catalogs.get(None)
            if user is not None and chat is not None and chat.type == ChatType.PRIVATE:
                resident = await register_telegram_resident(
                    session,
                    user.id,
                    user.full_name,
                    locale_for(user.language_code),
                    self.clock.now(),
                )
                data["resident"] = resident
                data["t"] = self.catalogs.get(resident.locale)
            result = await handler(event, data)
            await session.commit()
        self.after_commit()
        return result
