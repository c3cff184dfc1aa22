"""The people in the fake world: a FakeUser's methods are what the user does in the app
(write, send a photo, press a button, block the bot), each making the update Telegram would
send the bot."""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping, Sequence
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

# An album (media group) holds 2–10 items; photos and videos mix, documents and audio files
# only go with their own kind (as the apps build them).
ALBUM_SIZE = range(2, 11)
ALBUM_KINDS = ({"photo", "video"}, {"document"}, {"audio"})
CAPTION_LIMIT = 1024
PREMIUM_CAPTION_LIMIT = 4096  # subscribers to Telegram Premium may send longer captions


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
    is_premium: bool = False

    def as_dict(self) -> Json:
        return without_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
                "is_premium": self.is_premium or None,
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
        content = {"photo": photo.as_photo(), **self._caption(caption)}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        caption: str | None = None,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        content = {"document": self._file("document", data, file_name), **self._caption(caption)}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_voice(
        self,
        data: bytes,
        duration: int = 3,
        caption: str | None = None,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        """A voice message recorded in the app (OGG/Opus)."""
        voice = self.fake._files.store("voice", data, None, "audio/ogg")
        content = {"voice": voice.as_media("voice", duration), **self._caption(caption)}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_video(
        self,
        data: bytes,
        duration: int = 5,
        caption: str | None = None,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        video = self.fake._files.store("video", data, "video.mp4", "video/mp4")
        content = {"video": video.as_media("video", duration), **self._caption(caption)}
        return self._send(chat, content, reply_to, message_thread_id)

    async def send_video_note(
        self, data: bytes, duration: int = 5, chat: FakeChat | None = None
    ) -> Json:
        """A round video message recorded in the app: it never has a caption."""
        note = self.fake._files.store("video_note", data, None, "video/mp4")
        return self._send(chat, {"video_note": note.as_media("video_note", duration)}, None, None)

    async def send_album(
        self,
        items: Sequence[tuple[str, bytes]],
        caption: str | None = None,
        chat: FakeChat | None = None,
    ) -> list[Json]:
        """Send several photos, videos, documents or audio files as one album: Telegram hands
        the bot each item as a message of its own, in an update of its own, all with the same
        media_group_id; a caption typed for the album goes with its first item."""
        kinds = {kind for kind, _ in items}
        if len(items) not in ALBUM_SIZE or not any(kinds <= allowed for allowed in ALBUM_KINDS):
            raise ValueError(f"an album holds 2–10 items that go together, not {sorted(kinds)}")
        group_id = str(10**17 + next(self.fake._media_groups))
        sent = []
        for number, (kind, data) in enumerate(items, start=1):
            if kind == "photo":
                if image_size(data) is None:
                    raise ValueError("album photos need PNG, GIF or JPEG bytes")
                media: Json = self.fake._files.store("photo", data, None, "image/jpeg").as_photo()
            elif kind == "document":
                media = self._file("document", data, f"file_{number}.pdf")
            else:
                stored = self.fake._files.store(kind, data, f"{kind}_{number}", None)
                media = stored.as_media(kind, 5)
            content = {kind: media, "media_group_id": group_id}
            if number == 1:
                content |= self._caption(caption)
            sent.append(self._send(chat, content, None, None))
        return sent

    async def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        chat: FakeChat | None = None,
    ) -> Json:
        """Send a contact from the attachment menu: anyone's, with their user id if they use
        Telegram."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name,
            "last_name": last_name,
            "user_id": user_id,
        }
        return self._send(chat, {"contact": without_none(contact)}, None, None)

    async def share_own_contact(self, phone_number: str) -> Json:
        """Press the bot's keyboard button that asks for the user's phone number
        (request_contact): the app sends the user's own contact to the private chat."""
        chat = self.fake._chats[self.id]
        shown = chat.reply_keyboard or {}
        buttons = [button for row in shown.get("keyboard", []) for button in row]
        if not any(isinstance(b, dict) and b.get("request_contact") for b in buttons):
            raise ValueError(f"{self.first_name} sees no button that shares their phone number")
        if shown.get("one_time_keyboard"):
            chat.reply_keyboard = None  # hidden once used; the bot can't tell
        contact = {"phone_number": phone_number, **self.as_dict()}
        own = {k: contact[k] for k in ("phone_number", "first_name", "last_name") if k in contact}
        return self._send(None, {"contact": {**own, "user_id": self.id}}, None, None)

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

    def _caption(self, caption: str | None) -> Json:
        """A caption as the app lets this user type it: 1024 characters, 4096 with
        Telegram Premium."""
        if caption is None:
            return {}
        limit = PREMIUM_CAPTION_LIMIT if self.is_premium else CAPTION_LIMIT
        if len(caption) > limit:
            raise ValueError(f"the app takes captions of up to {limit} characters")
        return {"caption": caption}

    def _file(self, kind: str, data: bytes, file_name: str) -> Json:
        return self.fake._files.store(kind, data, file_name, None).as_document()

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
