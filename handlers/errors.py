"""When a handler fails, the person who wrote is told so, politely, in their language."""

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.text.catalogs import Catalogs, Texts

log = logging.getLogger(__name__)


async def apologise(event: ErrorEvent, catalogs: Catalogs, t: Texts | None = None) -> None:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    t = t or catalogs.get(None)
    apology = t.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(apology, show_alert=True)
    elif update.message is not None:
        await update.message.reply(apology)


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(apologise)
    return router
