"""What every update gets before a handler sees it, in this order: a transaction (and the
skip of a redelivered update), then who is writing and in which language."""

from collections.abc import Callable

from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.text.catalogs import Catalogs
from handlers.middlewares.identity import Identity
from handlers.middlewares.transaction import Transaction


def install_middlewares(
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    catalogs: Catalogs,
    on_commit: Callable[[], None],
) -> None:
    dispatcher.update.outer_middleware(Transaction(sessionmaker, clock, on_commit))
    dispatcher.update.outer_middleware(Identity(clock, catalogs))
