"""What every update gets before a handler sees it, in this order: a transaction (which marks
the update processed, skips a redelivered one and retries a failed one), then who is writing
and in which language."""

from collections.abc import Callable

from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.settings import InboundSettings
from bot.text.catalogs import Catalogs
from handlers.middlewares.identity import Identity
from handlers.middlewares.transaction import Transaction


def install_middlewares(
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    catalogs: Catalogs,
    on_commit: Callable[[], None],
    inbound: InboundSettings,
    at_once: int | None = None,
) -> None:
    transaction = Transaction(sessionmaker, clock, on_commit, inbound, at_once)
    dispatcher.update.outer_middleware(transaction)
    dispatcher.update.outer_middleware(Identity(clock, catalogs))
