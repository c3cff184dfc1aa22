"""The first Bot API call (`getMe`), before polling starts.

A Bot API that cannot be reached yet (network down, a local Bot API server still starting,
Telegram having trouble) is waited for, with backoff and a log line per attempt; a token the
Bot API refuses is not: retrying cannot fix it, so it ends the start-up.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

log = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
# A Bot API that accepts the connection and never answers counts as unreachable too.
REQUEST_TIMEOUT_SECONDS = 15


class TokenRefused(Exception):
    """The Bot API answered 401: the token is wrong or was revoked."""


async def wait_for_bot_api(
    bot: Bot,
    api_url: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> User:
    """The bot's own user, once the Bot API answers; raises TokenRefused on a 401."""
    delay = FIRST_DELAY_SECONDS
    while True:
        try:
            me = await bot.get_me(request_timeout=REQUEST_TIMEOUT_SECONDS)
        except TelegramUnauthorizedError as error:
            raise TokenRefused(
                f"The Bot API at {api_url} refused BOT_TOKEN ({error.message}): copy the "
                "token again from @BotFather (it changes when revoked)."
            ) from None
        except TelegramRetryAfter as error:
            wait, reason = float(error.retry_after), "flood control"
        except (TelegramNetworkError, TelegramServerError) as error:
            wait, reason = delay, error.message
            delay = min(delay * 2, MAX_DELAY_SECONDS)
        else:
            log.info("Bot API at %s answers: the bot is @%s", api_url, me.username)
            return me
        log.warning("Bot API at %s unreachable (%s); retrying in %gs", api_url, reason, wait)
        await sleep(wait)
