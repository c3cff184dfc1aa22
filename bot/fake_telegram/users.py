"""The people in the fake world: a FakeUser's methods are what the user does in the app
(write, send a photo, press a button, block the bot), each making the update Telegram would
send the bot."""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.fake_telegram.chats import store_message
from bot.fake_telegram.files import image_size, tiny_png
from bot.fake_telegram.formatting import command_entities, entities_field
from bot.fake_telegram.objects import Json, without_none
from bot.fake_telegram.updates import enqueue

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram
    from bot.fake_telegram.world import FakeChat


@dataclass(eq=False)
class FakeUser:
    """A Telegram user; its methods are what the user does in the app."""

    fake: FakeTelegram = field(repr=False)
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = True  # has opened the private chat with the bot
    blocked_bot: bool = False

    def as_dict(self) -> Json:
        return without_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    def private_chat_dict(self) -> Json:
        return without_none(
            {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )

    async def send_text(
        self,
        text: str,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        """Write a message (chat=None: the private chat with the bot); returns the Message."""
        content = {"text": text, **entities_field("entities", command_entities(text))}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        if image_size(data) is None:
            raise ValueError("send_photo needs PNG, GIF or JPEG bytes; tiny_png() makes some")
        photo = self.fake._files.store("photo", data, None, "image/jpeg")
        content = {"photo": photo.as_photo(), **without_none({"caption": caption})}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_location(
        self,
        latitude: float,
        longitude: float,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_sticker(
        self,
        emoji: str = "👍",
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        sticker = self.fake._files.store("sticker", tiny_png(), None, "image/webp")
        content = {"sticker": sticker.as_sticker(emoji)}
        return self._send(chat, content, reply_to, message_thread_id)

    async def edit_text(self, message: Mapping[str, Any], text: str) -> Json:
        """Edit a text message this user sent; Telegram tells the bot with an edited_message
        update carrying the whole message as it now is. Returns the edited Message."""
        chat = self.fake._chats.get(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"]) if chat is not None else None
        if stored is None:
            raise ValueError("that message is gone; there is nothing to edit")
        if stored["from"]["id"] != self.id or "text" not in stored:
            raise ValueError(f"{self.first_name} can only edit a text message of their own")
        if stored["text"] == text:
            raise ValueError("the app sends no edit that changes nothing")
        stored.pop("entities", None)
        stored.update({"text": text, "edit_date": self.fake._now()})
        stored.update(entities_field("entities", command_entities(text)))
        self.fake.feed.record("edited", chat.id, message=stored)
        self.fake._state_changed()
        enqueue(self.fake, "edited_message", stored)
        return copy.deepcopy(stored)

    async def edit_caption(self, message: Mapping[str, Any], caption: str) -> Json:
        """Edit the caption of a photo or document this user sent; the bot hears of it as an
        edited_message update. Returns the edited Message."""
        chat = self.fake._chats.get(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"]) if chat is not None else None
        if stored is None:
            raise ValueError("that message is gone; there is nothing to edit")
        if stored["from"]["id"] != self.id or "text" in stored:
            raise ValueError(f"{self.first_name} can only edit a caption of their own")
        if stored.get("caption") == caption:
            raise ValueError("the app sends no edit that changes nothing")
        stored.pop("caption_entities", None)
        stored.update({"caption": caption, "edit_date": self.fake._now()})
        self.fake._state_changed()
        enqueue(self.fake, "edited_message", stored)
        return copy.deepcopy(stored)

    async def press(self, message: Mapping[str, Any], callback_data: str) -> str:
        """Press an inline button of a bot message; returns the callback query id."""
        fake = self.fake
        chat = fake._chats.get(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"]) if chat is not None else None
        if chat is None or stored is None:
            raise ValueError("that message is gone; there is nothing to press")
        if not chat.has_member(self):
            raise ValueError(f"{self.first_name} can't see chat {chat.id}")
        keyboard = stored.get("reply_markup", {}).get("inline_keyboard", [])
        offered = [button.get("callback_data") for row in keyboard for button in row]
        if callback_data not in offered:
            raise ValueError(
                f"message {stored['message_id']} has no button with callback_data "
                f"{callback_data!r}; it has {offered}"
            )
        query_id = str(10**15 + next(fake._query_numbers))
        fake._queries[query_id] = fake.clock()
        query = {
            "id": query_id,
            "from": self.as_dict(),
            "message": stored,
            "chat_instance": str(zlib.crc32(str(chat.id).encode())),
            "data": callback_data,
        }
        enqueue(fake, "callback_query", query)
        message_id = stored["message_id"]
        fake.feed.record(
            "pressed", chat.id, query_id=query_id, message_id=message_id, data=callback_data
        )
        return query_id

    def block_bot(self) -> None:
        self._set_blocked(blocked=True)

    def unblock_bot(self) -> None:
        self._set_blocked(blocked=False)

    def _send(
        self, chat: FakeChat | None, content: Json, reply_to: int | None, thread_id: int | None
    ) -> Json:
        """Post a message as this user, checked as the app would let them post it."""
        target = self.fake._chats[self.id] if chat is None else chat
        if not target.has_member(self):
            raise ValueError(f"{self.first_name} is not a member of chat {target.id}")
        if target.user is self:
            self.started = True
            self._set_blocked(blocked=False)  # writing to a bot unblocks it, as apps do
        reply = None
        if reply_to is not None:
            reply = target.messages.get(reply_to)
            if reply is None:
                raise ValueError(f"no message {reply_to} in chat {target.id} to reply to")
        if thread_id is None and reply is not None and target.is_forum:
            thread_id = reply.get("message_thread_id")
        if thread_id is not None and thread_id not in target.topics:
            raise ValueError(f"no topic {thread_id} in chat {target.id}")
        if thread_id in target.closed_topics:
            raise ValueError(f"topic {thread_id} is closed; members can't write there")
        message = store_message(self.fake, target, self.as_dict(), content, thread_id, reply)
        if self._bot_sees(target, message, reply):
            enqueue(self.fake, "message", message)
        return copy.deepcopy(message)

    def _bot_sees(self, chat: FakeChat, message: Json, reply: Json | None) -> bool:
        """Whether Telegram hands the bot this message: every message of a private chat; in a
        group only while the bot is in it, and with privacy mode on (and the bot not an
        administrator) only commands and replies to the bot's own messages."""
        if chat.user is not None:
            return True
        if not chat.bot_present:
            return False
        if not self.fake.privacy_mode or chat.bot_status == "administrator":
            return True
        text = message.get("text") or message.get("caption") or ""
        replied_to_bot = (
            reply is not None
            and reply["from"]["id"] == self.fake.bot.id
            and "forum_topic_created" not in reply
        )
        return text.startswith("/") or replied_to_bot

    def _set_blocked(self, *, blocked: bool) -> None:
        """Block or unblock the bot; Telegram tells the bot with a my_chat_member update."""
        if self.blocked_bot == blocked:
            return
        self.blocked_bot = blocked
        member = {"status": "member", "user": self.fake.bot.as_dict()}
        kicked = {"status": "kicked", "user": self.fake.bot.as_dict(), "until_date": 0}
        change = {
            "chat": self.private_chat_dict(),
            "from": self.as_dict(),
            "date": self.fake._now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        enqueue(self.fake, "my_chat_member", change)
