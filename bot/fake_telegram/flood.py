"""Telegram's flood control, for tests that check a bot paces itself: off unless a test turns
it on with `FakeTelegram.enforce_limits()`. As Telegram's bot FAQ puts it: about 30 messages a
second in all, one a second to a private chat, 20 a minute to a group; a message over a limit
is refused with 429 and `retry_after` (whole seconds, as Telegram gives it). Edits count as
messages here, which is stricter than Telegram, never looser.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.fake_telegram.errors import TelegramError

# Methods that put a message in a chat (or change one), and so count against the limits.
COUNTED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)


@dataclass(frozen=True)
class Limits:
    """(messages, seconds) for each limit, and `slack` seconds of tolerance at a window's edge
    (clocks and rounding), as strict as that: a bot that decides to send one a second but
    lets a late message arrive close behind the one before is refused."""

    overall: tuple[int, float] = (30, 1.0)
    private_chat: tuple[int, float] = (1, 1.0)
    group: tuple[int, float] = (20, 60.0)
    slack: float = 0.01


@dataclass
class FloodControl:
    limits: Limits
    clock: Callable[[], float]
    refused: int = 0  # 429s given
    refusals: list[tuple[int, float]] = field(default_factory=list)  # (chat, when)
    accepted: dict[int, list[float]] = field(default_factory=dict)  # chat → times of messages
    _all: deque[float] = field(default_factory=deque)
    _chats: dict[int, deque[float]] = field(default_factory=dict)

    def admit(self, chat_id: int) -> None:
        """Count a message to the chat, or refuse it with 429 if it is over a limit."""
        now = self.clock()
        chat_limit = self.limits.private_chat if chat_id > 0 else self.limits.group
        recent = self._chats.setdefault(chat_id, deque())
        wait = max(
            self._wait(self._all, self.limits.overall, now), self._wait(recent, chat_limit, now)
        )
        if wait > 0:
            self.refused += 1
            self.refusals.append((chat_id, now))
            seconds = max(1, math.ceil(wait))
            raise TelegramError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        self._all.append(now)
        recent.append(now)
        self.accepted.setdefault(chat_id, []).append(now)

    def _wait(self, times: deque[float], limit: tuple[int, float], now: float) -> float:
        """Seconds until the window has room for one more (0: it has now)."""
        amount, window = limit
        while times and times[0] <= now - window + self.limits.slack:
            times.popleft()
        if len(times) < amount:
            return 0.0
        return times[0] + window - self.limits.slack - now

    def busiest(self, chat_id: int, window: float) -> int:
        """The most messages the chat received within any `window` seconds."""
        times = self.accepted.get(chat_id, [])
        most, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= window:
                start += 1
            most = max(most, end - start + 1)
        return most
