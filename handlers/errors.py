"""When a handler fails, the person who wrote is told so, politely, in their language. The
apology meets Telegram's flood control like any direct answer; if it cannot be given, that is
logged, and the failure ends there."""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.text.catalogs import Catalogs, Texts

log = logging.getLogger(__name__)


async def apologise(event: ErrorEvent, catalogs: Catalogs, t: Texts | None = None) -> None:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    t = t or catalogs.get(None)
    apology = t.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(apology, show_alert=True)
        elif update.message is not None:
            await update.message.reply(apology)
        elif update.edited_message is not None:
            await update.edited_message.reply(apology)
    except TelegramAPIError as error:
        log.warning("update %s: the apology could not be given: %s", update.update_id, error)


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(apologise)
    return router
