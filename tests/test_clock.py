"""The movable clock the sandbox moves: the system's time, ahead by every move."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import MovableClock


def test_a_movable_clock_ticks_on_ahead_by_every_move():
    clock = MovableClock()
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    clock.advance(timedelta(days=1))
    clock.advance(timedelta(weeks=1))
    moved = clock.now() - datetime.now(UTC)
    assert timedelta(days=8) - timedelta(seconds=5) < moved <= timedelta(days=8)
    assert abs(clock.timestamp() - clock.now().timestamp()) < 5
    assert clock.ahead == timedelta(days=8)


def test_a_movable_clock_never_goes_back():
    clock = MovableClock()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(timedelta(seconds=-1))
    assert clock.ahead == timedelta(0)
