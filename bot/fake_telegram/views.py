"""Looking at the fake world: the chats' messages, topics and reply keyboards, the updates
made, the files kept. FakeTelegram (server.py) has these methods; tests and the sandbox page
read the world through them."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from bot.fake_telegram.objects import Json

if TYPE_CHECKING:
    from bot.fake_telegram.files import FileStore
    from bot.fake_telegram.updates import QueuedUpdate
    from bot.fake_telegram.users import FakeUser
    from bot.fake_telegram.world import BotAccount, FakeChat


class WorldViews:
    """The read-only half of FakeTelegram's test-facing API."""

    _chats: dict[int, FakeChat]
    _users: dict[int, FakeUser]
    _files: FileStore
    _history: dict[int, Json]
    _pending: list[QueuedUpdate]
    bot: BotAccount

    def messages(self, chat_id: int, thread_id: int | None = None) -> list[Json]:
        """The chat's messages as they are now (edits applied, deleted ones gone), oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}; make it with user() or group()")
        return [
            copy.deepcopy(message)
            for message in chat.messages.values()
            if thread_id is None or message.get("message_thread_id") == thread_id
        ]

    def bot_messages(self, chat_id: int, thread_id: int | None = None) -> list[Json]:
        return [m for m in self.messages(chat_id, thread_id) if m["from"]["id"] == self.bot.id]

    def chat(self, chat_id: int) -> FakeChat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}; make it with user() or group()")
        return chat

    def find_user(self, user_id: int) -> FakeUser:
        user = self._users.get(user_id)
        if user is None:
            raise KeyError(f"no user {user_id}; make one with user()")
        return user

    def reply_keyboard(self, chat_id: int) -> Json | None:
        """The reply keyboard the user sees under the chat (ReplyKeyboardMarkup), if any."""
        return copy.deepcopy(self.chat(chat_id).reply_keyboard)

    def topics(self, chat_id: int) -> list[Json]:
        """The chat's forum topics, oldest first, each with `is_closed`."""
        chat = self.chat(chat_id)
        return [
            {**copy.deepcopy(topic), "is_closed": thread_id in chat.closed_topics}
            for thread_id, topic in sorted(chat.topics.items())
        ]

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        """A file's bytes and content type, by its file_id, as the app would download it."""
        stored = self._files.by_id.get(file_id)
        if stored is None:
            return None
        return stored.data, stored.mime_type or "application/octet-stream"

    def updates(self) -> list[Json]:
        """Every update made so far, delivered or not, oldest first."""
        return [copy.deepcopy(update) for _, update in sorted(self._history.items())]

    def pending_updates(self) -> list[Json]:
        """Updates the bot has not confirmed yet (by offset, or by a webhook's 2xx)."""
        return [copy.deepcopy(queued.update) for queued in self._pending]
