"""The fake's public feed of changes: everything that changed in the fake world, in order,
for a client to follow (the sandbox page draws a Telegram app from it).

Each change is numbered; a follower asks for the changes after the last number it saw and
waits when there are none. The kinds:

- ``message``: a new message, by the bot or by a user (``message``: the Message);
- ``edited``: a message as it now is after an edit (``message``);
- ``deleted``: a message gone (``message_id``; ``message_thread_id`` when a topic took it);
- ``topic``: a forum topic created, edited, closed, reopened or deleted (``topic``: the
  ForumTopic, None once deleted; ``closed``);
- ``keyboard``: the reply keyboard a user now sees under the chat (``reply_markup``: the
  ReplyKeyboardMarkup, None once removed). Telegram's Message has no field for it, so it is
  shown only here and by ``FakeTelegram.reply_keyboard()``;
- ``pressed``: a user pressed an inline button (``query_id``, ``message_id``, ``data``);
- ``callback_answer``: the bot answered a press (``query_id``, ``text``, ``show_alert``).

Every change names its ``chat_id`` (None for callback answers, which belong to no chat).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections import deque
from dataclasses import dataclass

from bot.fake_telegram.objects import Json

KEPT_CHANGES = 50_000  # older ones are dropped; a follower that far behind reloads the chat


@dataclass(frozen=True)
class Change:
    number: int
    kind: str
    chat_id: int | None
    data: Json

    def as_dict(self) -> Json:
        return {"number": self.number, "kind": self.kind, "chat_id": self.chat_id, **self.data}


class Feed:
    """The numbered changes of one fake world, oldest first."""

    def __init__(self, kept: int = KEPT_CHANGES) -> None:
        self._changes: deque[Change] = deque(maxlen=kept)
        self._numbers = itertools.count(1)
        self._arrived = asyncio.Event()

    @property
    def last_number(self) -> int:
        """The number of the newest change (0 when nothing has happened yet)."""
        return self._changes[-1].number if self._changes else 0

    def record(self, kind: str, chat_id: int | None, **data: object) -> None:
        self._changes.append(Change(next(self._numbers), kind, chat_id, copy.deepcopy(data)))
        self._arrived.set()
        self._arrived = asyncio.Event()

    def since(self, number: int) -> list[Change]:
        """The changes numbered above `number`, oldest first."""
        return [change for change in self._changes if change.number > number]

    async def wait_since(self, number: int, timeout: float) -> list[Change]:
        """The changes after `number`, waiting up to `timeout` seconds for one to happen;
        an empty list when none did."""
        if self.last_number <= number:
            arrived = self._arrived
            try:
                async with asyncio.timeout(timeout):
                    await arrived.wait()
            except TimeoutError:
                return []
        return self.since(number)
