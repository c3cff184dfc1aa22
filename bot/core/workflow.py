"""The one state machine of a ticket: which status may follow which."""

from storage.models import TicketStatus

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.ANSWERED}),
    TicketStatus.ANSWERED: frozenset(),
}


class TransitionError(ValueError):
    """A status change the workflow does not allow."""


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise TransitionError(f"a ticket cannot go from {current} to {target}")
