"""Direct answers to the person who just wrote or pressed a button: how they meet Telegram's
flood control, a button pressed twice, and a failure once the work is already committed."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds a direct answer waits for Telegram's flood control: the person is looking at the
# chat, so a short wait is better than an apology; a longer one fails as before.
SHORT_WAIT = 5.0


async def answer(method: TelegramMethod[T]) -> T:
    """Make one Bot API call of a direct answer; a 429 that asks for a short wait is waited
    out, once."""
    try:
        return await method
    except TelegramRetryAfter as error:
        if error.retry_after > SHORT_WAIT:
            raise
        log.info("flood control: waiting %ss to answer", error.retry_after)
        await asyncio.sleep(error.retry_after)
        return await method


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the pressed button's spinner. A press answered too late (after a restart, say) is
    refused by Telegram; that must not keep what follows from being said."""
    try:
        await answer(query.answer())
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
        await answer(message.edit_text(text, reply_markup=reply_markup))
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
