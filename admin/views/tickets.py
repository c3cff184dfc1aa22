"""The ticket page (its timeline, the resident, similar tickets) and the actions on it; each
action is a core function (`bot.core.staff_desk`) called with the staff member who acts."""

from collections.abc import Awaitable, Callable
from datetime import date

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from admin import i18n
from admin.keys import SESSIONS, STAFF_DESK
from admin.security import MEMBER, SCOPE, context, flash
from admin.transactions import transaction
from bot.core.deadlines import DeadlineError
from bot.core.duplicates import similar_open_tickets
from bot.core.response_templates import names_for, templates
from bot.core.scope import Scope
from bot.core.staff_desk import NotVisible, StaffDesk
from bot.core.ticket_history import choices, history
from bot.core.workflow import TransitionError, allowed_steps
from bot.text.catalogs import N_
from storage.models import Actor, Escalation, Priority, Resident, StaffMember, Ticket

Form = dict[str, str]
Action = Callable[[StaffDesk, AsyncSession, StaffMember, Scope, Ticket, Form], Awaitable[None]]


def refused(error: Exception) -> str:
    """A refused action, said in the staff member's language (the core's reason in English)."""
    reason = str(error)
    if i18n.current.get().english:
        return f"Not done: {reason}."
    return i18n.gettext("Not done: the action does not fit the ticket as it stands.")


async def ticket_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    scope: Scope = request[SCOPE]
    desk = request.app[STAFF_DESK]
    async with request.app[SESSIONS]() as db:
        try:
            ticket = await desk.ticket(db, scope, request.match_info["number"])
        except NotVisible:
            raise web.HTTPNotFound(text=i18n.gettext("No such opinion or suggestion.")) from None
        resident = await db.get_one(Resident, ticket.resident_id)
        await db.refresh(ticket, attribute_names=["deputy_group", "area"])
        page = context(
            request,
            session,
            ticket=ticket,
            resident=resident,
            history=await history(db, ticket),
            similar=await similar_open_tickets(db, scope, ticket),
            steps=[step.value for step in allowed_steps(ticket.status, Actor.STAFF)],
            escalations=list(Escalation),
            priorities=list(Priority),
            templates=names_for(await templates(db), ticket.status),
            **await choices(db, None if scope.everything else scope.group_ids),
        )
    return render_template("ticket.html", request, page)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TransitionError("a date such as 2026-12-31 is needed") from None


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


async def _assign(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.assign(s, m, sc, t, _id(f.get("group", "")) or -1)


async def _category(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.set_category(s, m, t, _id(f.get("category", "")))


async def _priority(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    value = f.get("priority", "")
    if value not in set(Priority):
        raise TransitionError("no such priority")
    await d.set_priority(s, m, t, Priority(value))


async def _publish(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.set_publishable(s, m, t, f.get("publishable") == "yes")


async def _extend(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.extend(s, m, t, f.get("reason", ""), _date(f.get("until", "")))


async def _note(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.note(s, m, t, f.get("text", ""))


async def _written(d: StaffDesk, s: AsyncSession, t: Ticket, f: Form, field: str) -> str:
    """What staff wrote, or else the chosen template in the resident's language."""
    written, template = f.get(field, "").strip(), f.get("template", "")
    return written or (await d.template_text(s, t, template) if template else "")


async def _reply(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.reply(s, m, t, await _written(d, s, t, f, "text"))


async def _close(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.close(s, m, t, await _written(d, s, t, f, "reason"))


async def _reopen(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    await d.reopen(s, m, t)


async def _escalate(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    kind = f.get("kind", "")
    if kind not in set(Escalation):
        raise TransitionError("no such escalation")
    await d.escalate(s, m, t, Escalation(kind))


async def _merge(d: StaffDesk, s: AsyncSession, m: StaffMember, sc: Scope, t: Ticket, f: Form):
    try:
        await d.merge(s, m, sc, t, f.get("into", ""))
    except NotVisible:
        raise TransitionError("no such ticket to merge into") from None


ACTIONS: dict[str, Action] = {
    "assign": _assign,
    "category": _category,
    "priority": _priority,
    "publish": _publish,
    "extend": _extend,
    "note": _note,
    "reply": _reply,
    "close": _close,
    "reopen": _reopen,
    "escalate": _escalate,
    "merge": _merge,
}
DONE = {
    "assign": N_("The deputy group has been changed."),
    "category": N_("The category has been changed."),
    "priority": N_("The priority has been set."),
    "publish": N_("The mark for the public results page has been set."),
    "extend": N_("The deadline has been extended."),
    "note": N_("The note has been added."),
    "reply": N_("The reply is on its way to the resident."),
    "close": N_("The opinion or suggestion has been concluded."),
    "reopen": N_("The opinion or suggestion has been reopened."),
    "escalate": N_("The opinion or suggestion has been escalated."),
    "merge": N_("The opinion or suggestion has been merged."),
}


def action_handler(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    action = ACTIONS[name]

    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        form = {key: str(value) for key, value in (await request.post()).items()}
        scope: Scope = request[SCOPE]
        desk = request.app[STAFF_DESK]
        number = request.match_info["number"]
        try:
            async with transaction(request) as db:
                try:
                    ticket = await desk.ticket(db, scope, number)
                except NotVisible:
                    raise web.HTTPNotFound(
                        text=i18n.gettext("No such opinion or suggestion.")
                    ) from None
                await action(desk, db, request[MEMBER], scope, ticket, form)
        except (TransitionError, DeadlineError) as error:
            flash(session, refused(error))
        else:
            flash(session, i18n.gettext(DONE[name]))
        location = request.app.router["ticket"].url_for(number=number)
        raise web.HTTPSeeOther(location)

    handle.__name__ = f"ticket_{name}"
    return handle
