"""The Bot API client and the dispatcher: conversation state and the one-at-a-time lock per
person, in memory for one process or in Redis when several share the work."""

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

from bot.settings import TelegramSettings
from bot.telegram.isolation import OrderedEventIsolation


def build_bot(settings: TelegramSettings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    return Bot(
        settings.bot_token.get_secret_value(),
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_fsm(redis_url: str | None, redis_prefix: str) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state, and the lock that handles one person's updates one at a time."""
    if redis_url is None:
        return MemoryStorage(), OrderedEventIsolation()
    storage = RedisStorage.from_url(
        redis_url, key_builder=DefaultKeyBuilder(prefix=redis_prefix, with_bot_id=True)
    )
    return storage, OrderedEventIsolation(shared=storage.create_isolation())


def build_dispatcher(redis_url: str | None, redis_prefix: str, **context: Any) -> Dispatcher:
    """A dispatcher whose handlers receive `context` (the core's services) as arguments."""
    storage, isolation = build_fsm(redis_url, redis_prefix)
    return Dispatcher(storage=storage, events_isolation=isolation, **context)
