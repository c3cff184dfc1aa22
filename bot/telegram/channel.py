"""The Telegram channel: delivers outbox rows with the Bot API, and is the one place that
knows Telegram's limits and what its errors mean for a retry."""

import html
import re

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import LinkPreviewOptions

from bot.delivery.sender import RetryLater, Undeliverable
from storage.models import OutboxMessage

TEXT_LIMIT = 4096  # characters of a message after entity parsing, counted in UTF-16 units
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data on an inline button

_TAG = re.compile(r"<[^>]+>")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def plain_text(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


def split_plain(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into pieces Telegram accepts, preferring line breaks."""
    pieces: list[str] = []
    while utf16_length(text) > limit:
        cut = limit
        while utf16_length(text[:cut]) > limit:
            cut -= 1
        newline = text.rfind("\n", 0, cut)
        cut = newline + 1 if newline > cut // 2 else cut
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


class TelegramChannel:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, message: OutboxMessage) -> int:
        text = str(message.payload["text"])
        try:
            if "replaces" in message.payload:
                return await self._edit(message, text, int(message.payload["replaces"]))
            if utf16_length(plain_text(text)) <= TEXT_LIMIT:
                return await self._send(message, text, "HTML")
            # Too long for one message: send it all, as plain text in pieces, never cut short.
            pieces = split_plain(plain_text(text))
            first = await self._send(message, pieces[0], None)
            for piece in pieces[1:]:
                await self._send(message, piece, None)
            return first
        except TelegramRetryAfter as error:
            raise RetryLater(error.message, error.retry_after) from error
        except TelegramMigrateToChat as error:
            raise Undeliverable(
                f"the group became supergroup {error.migrate_to_chat_id}; update the directory"
            ) from error
        except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as error:
            raise Undeliverable(error.message) from error
        except Exception as error:
            # Server errors, network trouble, a wrong token: nothing lost, try again later.
            raise RetryLater(repr(error)) from error

    async def _edit(self, message: OutboxMessage, text: str, message_id: int) -> int:
        try:
            await self.bot.edit_message_text(
                chat_id=message.chat_id,
                message_id=message_id,
                text=text,
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramBadRequest as error:
            # Already showing this text: the edit's purpose is served.
            if "message is not modified" not in error.message:
                raise
        return message_id

    async def _send(self, message: OutboxMessage, text: str, parse_mode: str | None) -> int:
        sent = await self.bot.send_message(
            chat_id=message.chat_id,
            message_thread_id=message.thread_id,
            text=text,
            parse_mode=parse_mode,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return sent.message_id
