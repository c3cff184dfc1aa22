"""The Telegram channel: delivers outbox rows with the Bot API, and is the one place that
knows Telegram's limits (`bot.telegram.limits`) and what its errors mean for a retry."""

import asyncio
import html
import re
from dataclasses import replace

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)

from bot.delivery.outbox import Action, Topic
from bot.delivery.sender import (
    AddressChanged,
    Envelope,
    FloodControl,
    Receipt,
    RetryLater,
    Undeliverable,
    Unreachable,
)
from bot.telegram.limits import TelegramLimits
from bot.telegram.paced import outbox_call
from bot.telegram.topics import ForumTopics, topic_gone
from storage.models import TELEGRAM

SEND_TIMEOUT = 15.0  # seconds one Bot API call may take before it counts as failed
TEXT_LIMIT = 4096  # characters of a message after entity parsing, counted in UTF-16 units
CAPTION_LIMIT = 1024  # … of a caption
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes of the largest file a bot may download (getFile)
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data on an inline button
BUTTONS_A_ROW = 4  # a card's eight buttons in two rows, readable on a phone

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
    rows = [buttons[i : i + BUTTONS_A_ROW] for i in range(0, len(buttons), BUTTONS_A_ROW)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def unreachable_cause(description: str) -> str | None:
    """Whether Telegram's refusal means the chat itself is out of reach, and why."""
    text = description.lower()
    if "bot was blocked" in text:
        return Unreachable.BLOCKED
    gone = ("user is deactivated", "bot was kicked", "bot is not a member", "chat not found")
    return Unreachable.GONE if any(words in text for words in gone) else None


def _under(reply_to: str | None) -> ReplyParameters | None:
    """Under the ticket's card; a card deleted meanwhile does not stop the message."""
    if reply_to is None:
        return None
    return ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)


class TelegramChannel:
    """Addresses are chat ids; receipts are message ids (both as text)."""

    name = TELEGRAM

    def __init__(
        self,
        bot: Bot,
        limits: TelegramLimits | None = None,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self.bot = bot
        self.limits = limits
        self.send_timeout = send_timeout

    async def ready(self, address: str) -> float:
        return 0.0 if self.limits is None else await self.limits.wait(int(address))

    async def deliver(self, envelope: Envelope) -> Receipt:
        chat_id = int(envelope.address)
        try:
            with outbox_call():
                if envelope.topic is None:
                    return await self._place(chat_id, envelope, None)
                return await self._in_topic(chat_id, envelope, envelope.topic)
        except TelegramRetryAfter as error:
            raise FloodControl(error.message, error.retry_after) from error
        except TelegramMigrateToChat as error:
            raise AddressChanged(
                f"the group became supergroup {error.migrate_to_chat_id}",
                str(error.migrate_to_chat_id),
            ) from error
        except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as error:
            cause = unreachable_cause(error.message)
            if cause is not None:
                raise Unreachable(error.message, cause) from error
            raise Undeliverable(error.message) from error
        except Exception as error:
            # Server errors, timeouts, network trouble: nothing lost, try again later.
            raise RetryLater(repr(error)) from error

    async def _in_topic(self, chat_id: int, envelope: Envelope, topic: Topic) -> Receipt:
        """In a group with a topic per ticket: into the ticket's topic, made when its first
        message comes; a topic someone deleted is made anew, and says so first. A card keeps
        the topic's name (its status) and its being open or closed as the ticket is."""
        topics = ForumTopics(self.bot, chat_id, self.send_timeout)
        thread = envelope.thread or await topics.create(topic.name)
        try:
            receipt = await self._place(chat_id, envelope, thread)
        except TelegramBadRequest as error:
            if not topic_gone(error.message):
                raise
            thread = await topics.create(topic.name)
            await self._paced(chat_id)
            await self._send(chat_id, topic.recreated, "HTML", None, thread=thread)
            await self._paced(chat_id)
            receipt = await self._place(chat_id, replace(envelope, replaces=None), thread)
        # A new topic has the card's name and is open; a changed card may change both.
        if envelope.content.topic is not None and envelope.replaces is not None:
            await topics.keep(thread, envelope.content.topic)
        return replace(receipt, thread=thread)

    async def _place(self, chat_id: int, envelope: Envelope, thread: str | None) -> Receipt:
        """Send (or edit) the message, in `thread` if the group has topics."""
        text, markup = envelope.content.text, keyboard(envelope.content.actions)
        if envelope.content.copy is not None:
            return await self._deliver_copy(chat_id, envelope, markup, thread)
        fits = utf16_length(plain_text(text)) <= TEXT_LIMIT
        # A message too long to be one is not edited in place: it arrives anew, in parts.
        if envelope.replaces is not None and fits:
            edited = await self._edit(chat_id, int(envelope.replaces), text, markup, thread)
            return Receipt(str(edited))
        if fits:
            sent = await self._send(chat_id, text, "HTML", markup, envelope.reply_to, thread)
            return Receipt(str(sent))
        # Too long for one message: send it all, as plain text in pieces, never cut short;
        # the actions go with the last piece. Every piece leads back to the message.
        pieces = split_plain(plain_text(text))
        parts = []
        for number, piece in enumerate(pieces, start=1):
            last = number == len(pieces)
            if number > 1:
                await self._paced(chat_id)
            reply_to = envelope.reply_to if number == 1 else None
            parts.append(
                str(
                    await self._send(
                        chat_id, piece, None, markup if last else None, reply_to, thread
                    )
                )
            )
        return Receipt(parts[0], tuple(parts[1:]))

    async def _deliver_copy(
        self,
        chat_id: int,
        envelope: Envelope,
        markup: InlineKeyboardMarkup | None,
        thread: str | None = None,
    ) -> Receipt:
        """A copy of a photo, document, voice message or video (never a forward: the person
        who wrote it stays private), the text as its caption; an edit changes the caption.
        A text too long for a caption goes first as a message of its own."""
        assert envelope.content.copy is not None
        source_chat, source_message = envelope.content.copy
        text = envelope.content.text
        fits = utf16_length(plain_text(text)) <= CAPTION_LIMIT
        captioned = fits and bool(text)  # no text: the copy is as it was (a place, say)
        if envelope.replaces is not None and fits:
            try:
                await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=int(envelope.replaces),
                    caption=text,
                    parse_mode="HTML",
                    reply_markup=markup,
                    request_timeout=self.send_timeout,
                )
                return Receipt(envelope.replaces)
            except TelegramBadRequest as error:
                if "message is not modified" in error.message:
                    return Receipt(envelope.replaces)
                if "message to edit not found" not in error.message:
                    raise
                await self._paced(chat_id)
            finally:
                await self._answered(chat_id)
        parts: list[str] = []
        if not fits:
            parts.append(
                str(await self._send(chat_id, text, "HTML", None, envelope.reply_to, thread))
            )
            await self._paced(chat_id)
        try:
            copied = await self.bot.copy_message(
                chat_id=chat_id,
                from_chat_id=int(source_chat),
                message_id=int(source_message),
                caption=text if captioned else None,
                parse_mode="HTML" if captioned else None,
                reply_markup=markup,
                reply_parameters=_under(envelope.reply_to) if fits else None,
                message_thread_id=int(thread) if thread else None,
                request_timeout=self.send_timeout,
            )
        finally:
            await self._answered(chat_id)
        return Receipt(str(copied.message_id), tuple(parts))

    async def _paced(self, chat_id: int) -> None:
        """Wait until the chat may have another message (the further parts of a long one)."""
        while (wait := await self.ready(str(chat_id))) > 0:
            await asyncio.sleep(wait)

    async def _edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        thread: str | None = None,
    ) -> int:
        try:
            try:
                await self.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=message_id,
                    text=text,
                    parse_mode="HTML",
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    request_timeout=self.send_timeout,
                )
            finally:
                await self._answered(chat_id)
        except TelegramBadRequest as error:
            if "message to edit not found" in error.message:
                # Deleted in the chat: the new version arrives as a message of its own.
                await self._paced(chat_id)
                return await self._send(chat_id, text, "HTML", markup, thread=thread)
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
        reply_to: str | None = None,
        thread: str | None = None,
    ) -> int:
        try:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=parse_mode,
                reply_markup=markup,
                reply_parameters=_under(reply_to),
                message_thread_id=int(thread) if thread else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                request_timeout=self.send_timeout,
            )
        finally:
            await self._answered(chat_id)
        return sent.message_id

    async def _answered(self, chat_id: int) -> None:
        """A message call was answered: the slot it took counts from now, not any longer
        as arriving any moment."""
        if self.limits is not None:
            await self.limits.sent(chat_id)
