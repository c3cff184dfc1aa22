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
from redis.asyncio import BlockingConnectionPool, Redis

from bot.settings import StorageSettings, TelegramSettings
from bot.telegram.isolation import OrderedEventIsolation, RenewedRedisIsolation


def build_bot(settings: TelegramSettings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    return Bot(
        settings.bot_token.get_secret_value(),
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_fsm(
    settings: StorageSettings, redis_prefix: str
) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state, and the lock that handles one person's updates one at a time.
    With Redis, both share one client whose pool waits for a free connection (up to
    `redis_pool_timeout`) instead of failing the update when all are in use."""
    if settings.redis_url is None:
        return MemoryStorage(), OrderedEventIsolation()
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout,
    )
    key_builder = DefaultKeyBuilder(prefix=redis_prefix, with_bot_id=True)
    redis = Redis(connection_pool=pool)
    storage = RedisStorage(redis, key_builder=key_builder)
    shared = RenewedRedisIsolation(redis, key_builder, settings.redis_lock_seconds)
    return storage, OrderedEventIsolation(shared=shared)


def build_dispatcher(settings: StorageSettings, redis_prefix: str, **context: Any) -> Dispatcher:
    """A dispatcher whose handlers receive `context` (the core's services) as arguments."""
    storage, isolation = build_fsm(settings, redis_prefix)
    return Dispatcher(storage=storage, events_isolation=isolation, **context)
