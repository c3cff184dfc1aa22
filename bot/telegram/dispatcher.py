"""The Bot API client and the dispatcher: conversation state and the one-at-a-time lock per
person, in memory for one process or in Redis when several share the work."""

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from redis.asyncio import BlockingConnectionPool, Redis

from bot.settings import StorageSettings, TelegramSettings
from bot.telegram.isolation import OrderedEventIsolation, RenewedRedisIsolation


def build_bot(settings: TelegramSettings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    session.middleware(KeptResponseTypes())
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


class KeptResponseTypes(BaseRequestMiddleware):
    """aiogram reads every answer as `Response[T]`, a pydantic generic model that pydantic
    caches only weakly: once collected it is built again, schema and all (about 5% of the
    bot's CPU under load, seen with py-spy). Holding each one used keeps it built."""

    def __init__(self) -> None:
        self.kept: dict[object, type] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


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


def filters_on_the_loop(router: Router) -> None:
    """aiogram runs a plain function filter, and each of `F`'s magic filters, in a worker
    thread: a hop that costs far more than the check (about 8% of the bot's CPU under the
    update bench, seen with py-spy). Ours are quick and never block, so they run on the
    event loop. (A handler that must block would not be a filter.)"""
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for check in handler.filters or ():
                    _on_the_loop(check)


def _on_the_loop(check: CallableObject) -> None:
    if check.awaitable:
        return
    function = check.callback

    async def run(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    check.callback = run
    check.awaitable = True
