"""A long-running process freezes what start-up made, after collecting start-up's garbage
(bot/runners/long_lived.py)."""

import gc
import weakref

from bot.runners.long_lived import freeze_the_long_lived


class Node:
    me: "Node"


def test_start_up_garbage_is_collected_and_what_lives_is_frozen() -> None:
    garbage = Node()
    garbage.me = garbage  # a cycle: only the collector can free it
    gone = weakref.ref(garbage)
    del garbage
    alive = Node()
    alive.me = alive
    try:
        frozen = freeze_the_long_lived()
        assert gone() is None, "start-up's garbage must not be frozen with the rest"
        assert frozen > 0
        assert not any(o is alive for o in gc.get_objects()), "what lives is out of reach"
    finally:
        gc.unfreeze()
    assert any(o is alive for o in gc.get_objects())
