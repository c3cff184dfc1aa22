"""The world the fake keeps: the bot's account, the chats, and what it records of the bot's
calls and callback answers. The users, who act, are in ``users.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.fake_telegram.objects import Json

if TYPE_CHECKING:
    from bot.fake_telegram.users import FakeUser


@dataclass(frozen=True)
class BotAccount:
    """The bot the fake serves; its id is the number before the colon of its token."""

    token: str
    username: str
    first_name: str

    @property
    def id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def as_dict(self) -> Json:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(eq=False)
class FakeChat:
    """A chat the bot is in: a private chat with one user, or a supergroup."""

    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None  # the other side of a private chat
    is_forum: bool = False
    members: dict[int, FakeUser] = field(default_factory=dict)
    admins: set[int] = field(default_factory=set)  # members who administer the chat
    # The bot's own membership in a group: its status, and its rights as an administrator.
    bot_status: str = "administrator"
    bot_rights: Json = field(default_factory=dict)
    migrated_to: int | None = None  # a basic group upgraded to this supergroup
    messages: dict[int, Json] = field(default_factory=dict, repr=False)  # oldest first
    topics: dict[int, Json] = field(default_factory=dict)  # ForumTopic by message_thread_id
    closed_topics: set[int] = field(default_factory=set)
    reply_keyboard: Json | None = None  # the ReplyKeyboardMarkup the user sees, if any
    last_message_id: int = 0

    def as_dict(self) -> Json:
        if self.user is not None:
            return self.user.private_chat_dict()
        chat: Json = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    @property
    def bot_present(self) -> bool:
        return self.bot_status in ("member", "administrator", "restricted")

    def has_member(self, user: FakeUser) -> bool:
        return user is self.user or user.id in self.members


@dataclass
class RecordedRequest:
    """One Bot API call as the fake saw it; status stays None while the call runs."""

    method: str
    params: Json
    status: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """How the bot answered a callback query: FakeTelegram.callback_answers keeps them by id."""

    text: str | None
    show_alert: bool
    url: str | None
