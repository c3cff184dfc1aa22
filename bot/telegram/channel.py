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
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.delivery.outbox import Action
from bot.delivery.sender import Envelope, RetryLater, Undeliverable
from storage.models import TELEGRAM

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


def action_data(action: Action) -> str:
    """The callback data of an action's button: its name, and its argument if it has one."""
    data = action.name if action.argument is None else f"{action.name}:{action.argument}"
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data longer than {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return data


def keyboard(actions: tuple[Action, ...]) -> InlineKeyboardMarkup | None:
    if not actions:
        return None
    buttons = [InlineKeyboardButton(text=a.label, callback_data=action_data(a)) for a in actions]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


class TelegramChannel:
    """Addresses are chat ids; receipts are message ids (both as text)."""

    name = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, envelope: Envelope) -> str:
        chat_id = int(envelope.address)
        text, markup = envelope.content.text, keyboard(envelope.content.actions)
        try:
            if envelope.replaces is not None:
                return str(await self._edit(chat_id, int(envelope.replaces), text, markup))
            if utf16_length(plain_text(text)) <= TEXT_LIMIT:
                return str(await self._send(chat_id, text, "HTML", markup))
            # Too long for one message: send it all, as plain text in pieces, never cut short;
            # the actions go with the last piece.
            pieces = split_plain(plain_text(text))
            first = await self._send(chat_id, pieces[0], None, markup if len(pieces) == 1 else None)
            for number, piece in enumerate(pieces[1:], start=2):
                await self._send(chat_id, piece, None, markup if number == len(pieces) else None)
            return str(first)
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

    async def _edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> int:
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                parse_mode="HTML",
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramBadRequest as error:
            # Already showing this text: the edit's purpose is served.
            if "message is not modified" not in error.message:
                raise
        return message_id

    async def _send(
        self,
        chat_id: int,
        text: str,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None,
    ) -> int:
        sent = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return sent.message_id
