"""Wiring: builds the bot, the dispatcher, the database, the catalogs and the outbox sender
from settings, and runs them."""

import asyncio
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.types import BotCommand
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.i18n import Catalogs
from bot.locks import OrderedEventIsolation
from bot.outbox import Sender
from bot.telegram import TelegramChannel
from bot.tickets import TicketDesk
from handlers import build_router
from handlers.middlewares import UpdateContext
from storage.db import create_engine, create_sessionmaker

log = logging.getLogger(__name__)

SENDER_STOP_SECONDS = 10


@dataclass
class Application:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    desk: TicketDesk
    bot: Bot
    dispatcher: Dispatcher
    sender: Sender

    async def close(self) -> None:
        await self.dispatcher.fsm.close()
        await self.bot.session.close()
        await self.engine.dispose()


def build_fsm(settings: Settings, redis_prefix: str) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state, and the lock that handles one person's updates one at a time:
    in memory for one process, in Redis when several share the work."""
    if settings.redis_url is None:
        return MemoryStorage(), OrderedEventIsolation()
    storage = RedisStorage.from_url(
        settings.redis_url, key_builder=DefaultKeyBuilder(prefix=redis_prefix, with_bot_id=True)
    )
    return storage, OrderedEventIsolation(shared=storage.create_isolation())


def build_application(
    settings: Settings, clock: Clock | None = None, redis_prefix: str = "fsm"
) -> Application:
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    catalogs = Catalogs(settings.locales_dir, settings.default_locale)
    desk = TicketDesk(clock, catalogs, settings.timezone)
    bot = Bot(
        settings.bot_token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    sender = Sender(sessionmaker, TelegramChannel(bot), clock, settings.outbox_poll_seconds)
    storage, isolation = build_fsm(settings, redis_prefix)
    dispatcher = Dispatcher(
        storage=storage, events_isolation=isolation, catalogs=catalogs, desk=desk, clock=clock
    )
    dispatcher.update.outer_middleware(UpdateContext(sessionmaker, clock, catalogs, sender.wake))
    dispatcher.include_router(build_router())
    return Application(
        settings, clock, engine, sessionmaker, catalogs, desk, bot, dispatcher, sender
    )


async def set_commands(app: Application) -> None:
    for locale in ("zh_Hans", "en"):
        t = app.catalogs.get(locale)
        commands = [
            BotCommand(command="start", description=t.gettext("Start")),
            BotCommand(command="area", description=t.gettext("Change your area")),
            BotCommand(command="language", description=t.gettext("Change the language")),
            BotCommand(command="help", description=t.gettext("Help")),
        ]
        language = "zh" if locale == "zh_Hans" else None
        await app.bot.set_my_commands(commands, language_code=language)


async def run_polling(app: Application, handle_signals: bool = True) -> None:
    """Poll for updates and run the outbox sender in the same process until stopped."""
    await app.bot.delete_webhook(drop_pending_updates=False)
    await set_commands(app)
    sender = asyncio.create_task(app.sender.run(), name="outbox-sender")
    try:
        await app.dispatcher.start_polling(
            app.bot, handle_signals=handle_signals, close_bot_session=False
        )
    finally:
        app.sender.stop()
        try:
            await asyncio.wait_for(sender, SENDER_STOP_SECONDS)
        except TimeoutError:
            log.warning(
                "the outbox sender did not stop within %ss; cancelled it", SENDER_STOP_SECONDS
            )
