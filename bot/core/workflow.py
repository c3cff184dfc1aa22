"""The one state machine of a ticket: every step someone can take, from which states, who may
take it, and whether the resident is told. The ticket desk (`bot.core.tickets`) applies the
steps; both front doors (the bot, the staff panel) call it and nothing else."""

import enum
from dataclasses import dataclass

from storage.models import Actor, TicketStatus

S = TicketStatus

OPEN = frozenset(
    {
        S.AWAITING_TRIAGE,
        S.ASSIGNED,
        S.ACCEPTED,
        S.IN_PROGRESS,
        S.FORWARDED,
        S.ANSWERED,
        S.REOPENED,
        S.ESCALATED,
    }
)
# Waiting for the deputy group: what deadlines and the daily digest watch.
WITH_GROUP = frozenset({S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.FORWARDED, S.REOPENED})
CLOSED = frozenset({S.CLOSED, S.UNRESOLVABLE})

MAX_REROUTES = 3  # the third reroute sends the ticket to staff
MAX_REOPENS = 2  # after that, an unsatisfied rating escalates to staff


class Step(enum.StrEnum):
    """What someone does to a ticket."""

    ASSIGN = "assign"  # staff give it to a group (交办)
    REROUTE = "reroute"  # "not ours", or staff move it
    ACCEPT = "accept"  # a deputy takes it on (受理)
    START = "start"  # work begins (办理中)
    FORWARD = "forward"  # to a department (转交部门)
    ANSWER = "answer"  # the deputy's answer to the resident (答复)
    CLOSE = "close"  # resolved (办结)
    CLOSE_UNRESOLVABLE = "close_unresolvable"  # not resolvable now, with the reason why
    RATE = "rate"  # the resident's rating (满意度测评)
    REOPEN = "reopen"  # another round after an unsatisfied rating
    MERGE = "merge"  # into another ticket on the same problem (共性问题)
    ESCALATE = "escalate"  # to staff, or to a formal channel
    TO_STAFF = "to_staff"  # a deputy hands it to the street's staff (转工作人员)


@dataclass(frozen=True)
class Transition:
    step: Step
    sources: frozenset[TicketStatus]
    target: TicketStatus
    actors: frozenset[Actor]
    tell_resident: bool


def _t(
    step: Step,
    sources: set[TicketStatus] | frozenset[TicketStatus],
    target: TicketStatus,
    actors: set[Actor],
    tell_resident: bool = True,
) -> Transition:
    return Transition(step, frozenset(sources), target, frozenset(actors), tell_resident)


DEPUTY, STAFF, SYSTEM, RESIDENT = Actor.DEPUTY, Actor.STAFF, Actor.SYSTEM, Actor.RESIDENT
HANDLING = {S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.FORWARDED, S.REOPENED}

TRANSITIONS: tuple[Transition, ...] = (
    _t(Step.ASSIGN, {S.AWAITING_TRIAGE, S.ESCALATED}, S.ASSIGNED, {STAFF, SYSTEM}),
    # A reroute to another group keeps the ticket assigned; the third goes to staff (below).
    _t(Step.REROUTE, HANDLING | {S.ANSWERED}, S.ASSIGNED, {DEPUTY, STAFF}),
    _t(Step.ACCEPT, {S.ASSIGNED, S.REOPENED}, S.ACCEPTED, {DEPUTY}),
    _t(Step.START, {S.ACCEPTED}, S.IN_PROGRESS, {DEPUTY}),
    _t(Step.FORWARD, {S.ACCEPTED, S.IN_PROGRESS}, S.FORWARDED, {DEPUTY, STAFF}),
    # A reply is the answer; further replies add to it without a new status notice.
    _t(Step.ANSWER, HANDLING | {S.ANSWERED}, S.ANSWERED, {DEPUTY}),
    _t(Step.CLOSE, {S.ANSWERED}, S.CLOSED, {DEPUTY, STAFF}),
    _t(Step.CLOSE_UNRESOLVABLE, HANDLING | {S.ANSWERED}, S.UNRESOLVABLE, {DEPUTY, STAFF}),
    # Satisfied or fairly satisfied ends the loop; unsatisfied reopens (`TicketDesk.rate`).
    _t(Step.RATE, CLOSED, S.RATED, {RESIDENT}, tell_resident=False),
    _t(Step.REOPEN, CLOSED | {S.RATED}, S.REOPENED, {STAFF, SYSTEM}),
    _t(Step.MERGE, OPEN, S.MERGED, {STAFF}),
    _t(Step.ESCALATE, OPEN | CLOSED, S.ESCALATED, {STAFF, SYSTEM}),
    _t(Step.TO_STAFF, HANDLING | {S.ANSWERED}, S.ESCALATED, {DEPUTY}),
)
BY_STEP = {transition.step: transition for transition in TRANSITIONS}


class TransitionError(ValueError):
    """A step the workflow does not allow; the message says why, in a line."""


def check(step: Step, status: TicketStatus, actor: Actor) -> Transition:
    """The transition `actor` takes with `step` from `status`, or TransitionError."""
    transition = BY_STEP[step]
    if actor not in transition.actors:
        raise TransitionError(f"{actor} may not {step} a ticket")
    if status not in transition.sources:
        raise TransitionError(f"a ticket that is {status} cannot {step}")
    return transition


def allowed_steps(status: TicketStatus, actor: Actor) -> list[Step]:
    """What this actor may do with a ticket in this state (for buttons and forms)."""
    return [t.step for t in TRANSITIONS if status in t.sources and actor in t.actors]
