"""Administrators: response templates per state and language."""

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session

from admin import i18n
from admin.keys import CLOCK, SESSIONS
from admin.security import MEMBER, context, flash
from admin.transactions import transaction
from admin.views.tickets import refused
from bot.core import response_templates
from bot.core.workflow import TransitionError
from bot.text.catalogs import LANGUAGE_NAMES
from storage.models import TicketStatus


async def templates_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        values = context(
            request,
            session,
            listed=await response_templates.templates(db),
            statuses=list(TicketStatus),
            languages=LANGUAGE_NAMES,
        )
    return render_template("templates.html", request, values)


async def save(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    form = {key: str(value) for key, value in (await request.post()).items()}
    try:
        async with transaction(request) as db:
            await response_templates.save(
                db,
                request[MEMBER],
                form.get("name", ""),
                form.get("status", ""),
                form.get("locale", ""),
                form.get("text", ""),
                request.app[CLOCK].now(),
            )
    except TransitionError as error:
        flash(session, refused(error))
    else:
        flash(session, i18n.gettext("The template has been saved."))
    raise web.HTTPSeeOther(request.app.router["templates"].url_for())


async def forget(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    async with transaction(request) as db:
        name = str(form.get("name", ""))
        await response_templates.forget(db, request[MEMBER], name, request.app[CLOCK].now())
    raise web.HTTPSeeOther(request.app.router["templates"].url_for())
