"""Direct answers to the person who just wrote or pressed a button: a press answered late, a
button pressed twice, and a failure once the work is already committed. (Telegram's limits and
a short 429 are the Bot API client's: `bot.telegram.paced`.)"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the pressed button's spinner. A press answered too late (after a restart, say) is
    refused by Telegram; that must not keep what follows from being said."""
    try:
        await query.answer()
    except TelegramBadRequest as error:
        log.info("press %s not acknowledged: %s", query.id, error.message)


def not_modified(error: TelegramBadRequest) -> bool:
    return "message is not modified" in error.message


async def edit(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Show this text (and buttons) in a message of the bot. A button pressed twice asks for
    the same edit again, which Telegram refuses as "message is not modified": the message
    already says it, so that is no failure. False then."""
    try:
        await message.edit_text(text, reply_markup=reply_markup)
    except TelegramBadRequest as error:
        if not not_modified(error):
            raise
        return False
    return True


def reported(follow_up: Callable[[], Awaitable[Any]], what: str) -> Callable[[], Awaitable[None]]:
    """A follow-up that reports a change already committed. If it fails, the change stands:
    the failure is logged and not apologised for, since an apology ("please try again")
    would have the person do it a second time."""

    async def report() -> None:
        try:
            await follow_up()
        except Exception:
            log.warning("%s was committed, but telling so failed", what, exc_info=True)

    return report
