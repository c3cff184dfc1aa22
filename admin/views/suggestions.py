"""Suggestions during the recess: the list, one suggestion with its tickets, and the
department's answer (told to every linked resident)."""

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session

from admin import i18n
from admin.keys import SESSIONS, STAFF_DESK
from admin.security import MEMBER, SCOPE, context, flash
from admin.transactions import transaction
from admin.views.tickets import refused
from bot.core import suggestions
from bot.core.staff_desk import NotVisible
from bot.core.workflow import TransitionError


async def suggestions_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        listed = await suggestions.suggestions(db, request[SCOPE])
    return render_template("suggestions.html", request, context(request, session, listed=listed))


async def suggestion_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    scope = request[SCOPE]
    async with request.app[SESSIONS]() as db:
        try:
            suggestion = await suggestions.visible(db, scope, int(request.match_info["id"]))
        except NotVisible:
            raise web.HTTPNotFound() from None
        values = context(
            request,
            session,
            suggestion=suggestion,
            tickets=suggestions.shown_tickets(suggestion, scope),
        )
    return render_template("suggestion.html", request, values)


async def answer(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    form = await request.post()
    suggestion_id = int(request.match_info["id"])
    try:
        async with transaction(request) as db:
            try:
                suggestion = await suggestions.visible(db, request[SCOPE], suggestion_id)
            except NotVisible:
                raise web.HTTPNotFound() from None
            await suggestions.answer(
                db, request.app[STAFF_DESK], request[MEMBER], suggestion, str(form.get("text", ""))
            )
    except TransitionError as error:
        flash(session, refused(error))
    else:
        flash(session, i18n.gettext("The answer is on its way to every linked resident."))
    raise web.HTTPSeeOther(request.app.router["suggestion"].url_for(id=str(suggestion_id)))
