"""The handlers' own Bot API calls, kept to Telegram's limits with the senders' messages.

A handler answers the person who wrote or pressed a button at once (a reply, the edit of a
prompt or a card). Telegram's limits count those messages too: 30 a second in all, 20 a minute
in a group. So every message a handler makes takes its slots in the same shared windows as the
senders' (`bot.telegram.limits`, in Redis when several processes share the work) and waits for
them; the senders in turn leave room for the answers. Only the pace of one private chat differs:
a person's own action may be answered by two or three messages in a second (the answer and the
edit of the prompt), a short burst Telegram allows, so answers keep to the private chat's burst
window rather than the senders' steady one a second.

A 429 that asks for a short wait is waited out and the call made once more: the person is looking
at the chat, so a short wait is better than an apology; a longer one fails as before. The
senders' own calls are paced by the channel and pass through untouched (`outbox_call`).
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bot.telegram.limits import TelegramLimits

log = logging.getLogger(__name__)

# Seconds a direct answer waits for Telegram's flood control, once.
SHORT_WAIT = 5.0

# Methods that put a message in a chat or change one: what Telegram's limits count.
MESSAGES = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendVoice",
        "sendAudio",
        "sendLocation",
        "sendContact",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)

_in_outbox: ContextVar[bool] = ContextVar("outbox_call", default=False)


@contextmanager
def outbox_call() -> Iterator[None]:
    """Calls made within are the senders', already paced by the channel."""
    token = _in_outbox.set(True)
    try:
        yield
    finally:
        _in_outbox.reset(token)


def counted_chat(method: TelegramMethod[Any]) -> int | None:
    """The chat a message call counts against, if it is one (an inline message has none)."""
    if method.__api_method__ not in MESSAGES:
        return None
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None


class PacedAnswers(BaseRequestMiddleware):
    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if _in_outbox.get():
            return await make_request(bot, method)
        try:
            return await self._paced(make_request, bot, method)
        except TelegramRetryAfter as error:
            if error.retry_after > SHORT_WAIT:
                raise
            log.info("flood control: waiting %ss to answer", error.retry_after)
            await asyncio.sleep(error.retry_after)
            return await self._paced(make_request, bot, method)

    async def _paced(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        chat_id = counted_chat(method)
        if chat_id is None:
            return await make_request(bot, method)
        while (wait := await self.limits.wait(chat_id, answer=True)) > 0:
            await asyncio.sleep(wait)
        try:
            return await make_request(bot, method)
        finally:
            await self.limits.sent(chat_id)
