"""The one clock of the system, injectable so tests can move time."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class MovableClock:
    """The system's time, moved forward on request (the sandbox's "move the clock"): it goes
    on ticking, ahead by the sum of every move."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward: time already recorded stays past")
        self.ahead += delta

    def timestamp(self) -> float:
        """Seconds since the epoch, as the fake Bot API's clock reads them."""
        return self.now().timestamp()
