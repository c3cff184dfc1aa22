"""Suggestions during the recess (闭会期间意见建议): staff gather the tickets of a common problem
(普遍性问题) into one formal suggestion to a department, with the date it is to answer by.
Each ticket is escalated to that channel (its resident is told, as for any escalation); when
the department's answer is recorded, every linked resident is told it, in their language."""

from datetime import date
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.core.scope import Scope
from bot.core.staff_desk import NotVisible, StaffDesk
from bot.core.timeline import Who, record
from bot.core.workflow import TransitionError
from storage.models import (
    Actor,
    Escalation,
    OutboxPurpose,
    Resident,
    StaffMember,
    Suggestion,
    Ticket,
    TicketStatus,
    TimelineAction,
)

MAX_TICKETS = 500


async def gather(
    session: AsyncSession,
    staff_desk: StaffDesk,
    member: StaffMember,
    scope: Scope,
    numbers: list[str],
    title: str,
    department: str,
    text: str,
    due: date,
) -> Suggestion:
    title, department, text = title.strip(), department.strip(), text.strip()
    if not (title and department and text) or len(title) > 200 or len(department) > 200:
        raise TransitionError("a suggestion needs a title, a department and its text")
    if due <= staff_desk.clock.now().date():
        raise TransitionError("the department's date must lie ahead")
    tickets = [await staff_desk.ticket(session, scope, n) for n in dict.fromkeys(numbers)]
    if not tickets or len(tickets) > MAX_TICKETS:
        raise TransitionError("choose the tickets the suggestion gathers")
    now = staff_desk.clock.now()
    suggestion = Suggestion(
        title=title,
        department=department,
        text=text,
        due=due,
        created_by=member.id,
        created_at=now,
        tickets=tickets,
    )
    session.add(suggestion)
    await session.flush()
    who = Who(Actor.STAFF, member.id)
    for ticket in tickets:
        if ticket.status != TicketStatus.ESCALATED:
            await staff_desk.desk.escalate(session, ticket, who, Escalation.RECESS_SUGGESTION)
        record(session, ticket, who, TimelineAction.SUGGESTED, now, suggestion=suggestion.id)
    after = {"title": title, "department": department, "due": due.isoformat(), "tickets": numbers}
    audit.record(
        session, member, "suggestion.gather", f"suggestion {suggestion.id}", now, None, after
    )
    return suggestion


async def answer(
    session: AsyncSession,
    staff_desk: StaffDesk,
    member: StaffMember,
    suggestion: Suggestion,
    text: str,
) -> None:
    """Record the department's answer; every linked resident is told it."""
    text = text.strip()
    if not text:
        raise TransitionError("the department's answer is needed")
    if suggestion.answer is not None:
        raise TransitionError("this suggestion has been answered already")
    now = staff_desk.clock.now()
    suggestion.answer, suggestion.answered_at, suggestion.answered_by = text, now, member.id
    who = Who(Actor.STAFF, member.id)
    catalogs, messages = staff_desk.desk.catalogs, staff_desk.desk.messages
    for ticket in suggestion.tickets:
        resident = await session.get_one(Resident, ticket.resident_id)
        t = catalogs.get(resident.locale)
        heading = t.gettext(
            "Your opinion or suggestion ({number}) was taken up in the suggestion «{title}» to "
            "{department}. Its answer:"
        ).format(
            number=ticket.number,
            title=escape(suggestion.title),
            department=escape(suggestion.department),
        )
        notice = f"<b>{heading}</b>\n\n{escape(text)}"
        messages.tell_resident(session, ticket, resident, notice, OutboxPurpose.REPLY)
        record(
            session, ticket, who, TimelineAction.SUGGESTION_ANSWERED, now, suggestion=suggestion.id
        )
    audit.record(
        session,
        member,
        "suggestion.answer",
        f"suggestion {suggestion.id}",
        now,
        None,
        {"answer": text},
    )


async def visible(session: AsyncSession, scope: Scope, suggestion_id: int) -> Suggestion:
    """A suggestion gathering at least one ticket of the scope."""
    suggestion = await session.get(Suggestion, suggestion_id)
    if suggestion is None or not any(scope.allows(t) for t in suggestion.tickets):
        raise NotVisible(str(suggestion_id))
    return suggestion


async def suggestions(session: AsyncSession, scope: Scope) -> list[Suggestion]:
    rows = await session.scalars(
        select(Suggestion).order_by(Suggestion.answer.is_not(None), Suggestion.due, Suggestion.id)
    )
    return [s for s in rows if any(scope.allows(t) for t in s.tickets)]


def shown_tickets(suggestion: Suggestion, scope: Scope) -> list[Ticket]:
    return [t for t in suggestion.tickets if scope.allows(t)]
