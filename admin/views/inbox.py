"""The inbox (filters, counts, search, sorting, pages, saved filters), bulk actions on the
selected tickets, and the supervision view."""

from datetime import date

from aiohttp import web
from aiohttp.web_request import FileField
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from multidict import MultiDictProxy

from admin import i18n
from admin.keys import CLOCK, SESSIONS, STAFF_DESK
from admin.security import MEMBER, SCOPE, context, flash
from admin.transactions import transaction
from admin.views.tickets import refused
from bot.core import saved_filters, suggestions
from bot.core.deadlines import DeadlineError
from bot.core.inbox import COUNT_CAP, FLAGS, SORTS, InboxFilter, inbox
from bot.core.response_templates import names_for, templates
from bot.core.scope import Scope
from bot.core.staff_desk import NotVisible
from bot.core.supervision_view import supervision
from bot.core.ticket_history import choices
from bot.core.workflow import TransitionError
from storage.models import Escalation, TicketStatus

MAX_BULK = 100


async def inbox_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    scope: Scope = request[SCOPE]
    wanted = InboxFilter.from_params(request.query)
    async with request.app[SESSIONS]() as db:
        page = await inbox(db, scope, wanted, request.app[CLOCK].now())
        values = context(
            request,
            session,
            page=page,
            wanted=wanted,
            flags=FLAGS,
            count_cap=COUNT_CAP,
            sorts=SORTS,
            statuses=list(TicketStatus),
            escalations=list(Escalation),
            saved=await saved_filters.saved(db, request[MEMBER]),
            templates=names_for(await templates(db), None),
            query=request.query,
            **await choices(db, None if scope.everything else scope.group_ids),
        )
    return render_template("inbox.html", request, values)


async def save_filter(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    query = InboxFilter.from_params({k: str(v) for k, v in form.items()}).params(page=1)
    async with transaction(request) as db:
        await saved_filters.save(db, request[MEMBER], str(form.get("name", "")), query)
    raise web.HTTPSeeOther(f"{request.app.router['inbox'].url_for()}?{query}")


async def forget_filter(request: web.Request) -> web.StreamResponse:
    filter_id = request.match_info["filter_id"]
    async with transaction(request) as db:
        await saved_filters.forget(db, request[MEMBER], int(filter_id))
    raise web.HTTPSeeOther(request.app.router["inbox"].url_for())


async def bulk(request: web.Request) -> web.StreamResponse:
    """One action on each selected ticket, each in its own transaction: one refused does not
    hold back the others, and the staff member is told how many were done."""
    session = await get_session(request)
    form = await request.post()
    numbers = [str(n) for n in form.getall("ticket", [])][:MAX_BULK]
    action = str(form.get("action", ""))
    desk, scope, member = request.app[STAFF_DESK], request[SCOPE], request[MEMBER]
    if action == "suggest":
        return await _suggest(request, numbers, form)
    done, failed = 0, []
    for number in numbers:
        try:
            async with transaction(request) as db:
                ticket = await desk.ticket(db, scope, number)
                if action == "assign":
                    group = str(form.get("group", ""))
                    await desk.assign(
                        db, member, scope, ticket, int(group) if group.isdigit() else -1
                    )
                elif action == "close":
                    reason, template = str(form.get("reason", "")), str(form.get("template", ""))
                    if not reason.strip() and template:
                        reason = await desk.template_text(db, ticket, template)
                    await desk.close(db, member, ticket, reason)
                elif action == "escalate" and form.get("kind") in set(Escalation):
                    await desk.escalate(db, member, ticket, Escalation(str(form["kind"])))
                else:
                    raise TransitionError("no such bulk action")
            done += 1
        except NotVisible:
            failed.append(number)
        except (TransitionError, DeadlineError) as error:
            failed.append(f"{number} ({refused(error)})")
    flash(session, i18n.gettext("Done for {done} of {count}.", done=done, count=len(numbers)))
    if failed:
        flash(session, i18n.gettext("Not done: {numbers}", numbers="; ".join(failed)))
    back = str(form.get("next", ""))
    raise web.HTTPSeeOther(back if back.startswith("/inbox") else "/inbox")


async def supervision_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        view = await supervision(db, request[SCOPE], request.app[CLOCK].now())
    return render_template("supervision.html", request, context(request, session, view=view))


async def _suggest(
    request: web.Request, numbers: list[str], form: MultiDictProxy[str | FileField]
) -> web.StreamResponse:
    """Gather the selected tickets into one suggestion during the recess."""
    session = await get_session(request)
    try:
        due = date.fromisoformat(str(form.get("due", "")))
        async with transaction(request) as db:
            suggestion = await suggestions.gather(
                db,
                request.app[STAFF_DESK],
                request[MEMBER],
                request[SCOPE],
                numbers,
                str(form.get("title", "")),
                str(form.get("department", "")),
                str(form.get("text", "")),
                due,
            )
    except (ValueError, NotVisible, TransitionError) as error:
        flash(session, refused(error))
        raise web.HTTPSeeOther(request.app.router["inbox"].url_for()) from None
    flash(session, i18n.gettext("The suggestion has been made; each resident has been told."))
    raise web.HTTPSeeOther(request.app.router["suggestion"].url_for(id=str(suggestion.id)))
