"""Deadlines (限时办理) in working days of the official calendar (调休 included), per category,
in the station's time zone.

A ticket handed to a deputy group must be accepted (受理) within `acknowledge_days` working
days and answered within `answer_days`; after a reopen, answered again within
`reopen_answer_days`. Staff may extend the answer deadline once, with a reason, up to
`extension_max_days` calendar days after submission. Days are counted as Chinese law counts
periods: the day of the event itself is not counted, and a deadline falls at the end of its
last day (23:59:59 local time). The supervisor (`bot.core.supervision`) watches them.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.calendar import WorkCalendar, end_of, load_calendar, local_day
from bot.core.timeline import Who, record
from bot.core.workflow import WITH_GROUP, Step, TransitionError
from storage.models import Actor, DeadlinePolicy, Ticket, TimelineAction

# The station's time zone when the caller names none (settings.text.timezone's default).
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Policy:
    """How long a deputy group has; the defaults are those of practice (see the README)."""

    acknowledge_days: int = 2  # working days to accept (受理)
    answer_days: int = 15  # working days to answer (答复)
    reopen_answer_days: int = 10  # working days to answer again after a reopen
    extension_max_days: int = 90  # calendar days from submission, with one extension (3 months)

    @classmethod
    def of(cls, row: DeadlinePolicy) -> "Policy":
        return cls(
            row.acknowledge_days, row.answer_days, row.reopen_answer_days, row.extension_max_days
        )


DEFAULT_POLICY = Policy()


class DeadlineError(TransitionError):
    """A deadline change that is not allowed; the message says why, in a line."""


async def policy_for(session: AsyncSession, category_id: int | None) -> Policy:
    """The category's policy, else the directory's default, else the code's defaults."""
    rows = {
        row.category_id: row
        for row in await session.scalars(
            select(DeadlinePolicy).where(
                (DeadlinePolicy.category_id == category_id) | DeadlinePolicy.category_id.is_(None)
            )
        )
    }
    row = rows.get(category_id) if category_id is not None else None
    row = row or rows.get(None)
    return Policy.of(row) if row is not None else DEFAULT_POLICY


def due_after(
    calendar: WorkCalendar, moment: datetime, working_days: int, timezone: str
) -> datetime:
    """The end of the `working_days`-th working day after the local day of `moment`."""
    return end_of(calendar.add_workdays(local_day(moment, timezone), working_days), timezone)


async def schedule(
    session: AsyncSession,
    ticket: Ticket,
    step: Step,
    now: datetime,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    """Set the ticket's deadlines after `step` (the step just applied):

    - ASSIGN (also a submission routed to a group, and a reroute): accept within
      `acknowledge_days` and answer within `answer_days`, both from now;
    - ACCEPT: the acceptance deadline stays as it was (the supervisor no longer watches it);
      a ticket late only for acceptance is no longer overdue;
    - REOPEN: answer again within `reopen_answer_days` from now, and not overdue any more.
    Other steps leave the deadlines alone."""
    if step not in (Step.ASSIGN, Step.ACCEPT, Step.REOPEN):
        return
    policy = await policy_for(session, ticket.category_id)
    calendar = await load_calendar(session)
    if step == Step.ASSIGN:
        ticket.acknowledge_due = due_after(calendar, now, policy.acknowledge_days, timezone)
        ticket.answer_due = due_after(calendar, now, policy.answer_days, timezone)
        ticket.overdue_since = None
    elif step == Step.ACCEPT:
        if ticket.answer_due is None or ticket.answer_due >= now:
            ticket.overdue_since = None
    else:
        # Accepting again is asked for, from the group that holds it, like a new assignment.
        ticket.acknowledge_due = due_after(calendar, now, policy.acknowledge_days, timezone)
        ticket.answer_due = due_after(calendar, now, policy.reopen_answer_days, timezone)
        ticket.overdue_since = None


async def extend(
    session: AsyncSession,
    ticket: Ticket,
    reason: str,
    until: date,
    now: datetime,
    *,
    staff_id: int | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    """Staff extend the answer deadline to the end of the local day `until`: once per ticket,
    with a reason, later than the current deadline and at most `extension_max_days` calendar
    days after submission. Recorded on the timeline (EXTENDED); raises DeadlineError, changing
    nothing, otherwise."""
    reason = reason.strip()
    if not reason:
        raise DeadlineError("an extension needs a reason")
    if ticket.status not in WITH_GROUP or ticket.answer_due is None:
        raise DeadlineError(f"a ticket that is {ticket.status} has no answer deadline to extend")
    if ticket.extension_reason is not None:
        raise DeadlineError("the deadline of this ticket has been extended once already")
    policy = await policy_for(session, ticket.category_id)
    new_due = end_of(until, timezone)
    latest = local_day(ticket.created_at, timezone) + timedelta(days=policy.extension_max_days)
    if until > latest:
        raise DeadlineError(
            f"an extension may run to {latest.isoformat()} at the latest "
            f"({policy.extension_max_days} days after submission)"
        )
    if new_due <= ticket.answer_due or new_due <= now:
        raise DeadlineError("an extension must end later than the current deadline")
    previous = ticket.answer_due
    ticket.answer_due = new_due
    ticket.extension_reason = reason
    ticket.overdue_since = None
    ticket.updated_at = now
    record(
        session,
        ticket,
        Who(Actor.STAFF, staff_id),
        TimelineAction.EXTENDED,
        now,
        reason=reason,
        **{"from": previous.isoformat(), "to": new_due.isoformat()},
    )
