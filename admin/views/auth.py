"""Log-in, log-out, invitations and the choice of language."""

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session, new_session

from admin import i18n
from admin.keys import CLOCK, SESSIONS, THROTTLE
from admin.security import MEMBER, context, csrf_token, flash
from admin.transactions import transaction
from bot.core import staff
from bot.text.catalogs import LOCALES
from storage.models import StaffRole


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


async def login_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    return render_template("login.html", request, context(request, session))


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login_name, password = str(form.get("login", "")), str(form.get("password", ""))
    session = await get_session(request)
    throttle = request.app[THROTTLE]
    address = _address(request)
    if not await throttle.allowed(login_name, address):
        error = i18n.gettext("Too many failed attempts. Please wait a few minutes and try again.")
        page = context(request, session, error=error, login=login_name)
        return render_template("login.html", request, page, status=429)
    async with transaction(request) as db:
        member = await staff.authenticate(db, login_name, password)
    if member is None:
        await throttle.failed(login_name, address)
        error = i18n.gettext("Wrong login or password, or the account is disabled.")
        page = context(request, session, error=error, login=login_name)
        return render_template("login.html", request, page, status=401)
    locale = session.get("locale")
    session.invalidate()
    fresh = await new_session(request)  # a new session id at log-in: no fixation
    fresh.update({"staff_id": member.id, "epoch": member.session_epoch})
    fresh["locale"] = locale or member.locale
    csrf_token(fresh)
    raise web.HTTPSeeOther(request.app.router["home"].url_for())


async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther(request.app.router["login"].url_for())


async def home(request: web.Request) -> web.StreamResponse:
    name = "stats" if request[MEMBER].role == StaffRole.OBSERVER else "inbox"
    raise web.HTTPSeeOther(request.app.router[name].url_for())


async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = await get_session(request)
    if form.get("locale") in LOCALES:
        session["locale"] = str(form["locale"])
    back = str(form.get("next", "/"))
    raise web.HTTPSeeOther(back if back.startswith("/") and not back.startswith("//") else "/")


async def invitation_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        found = await staff.open_invitation(
            db, request.match_info["token"], request.app[CLOCK].now()
        )
    if found is None:
        raise web.HTTPNotFound(text=i18n.gettext("This invitation has been used or has expired."))
    return render_template("invitation.html", request, context(request, session))


async def accept_invitation(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = await get_session(request)
    try:
        async with transaction(request) as db:
            await staff.accept_invitation(
                db,
                request.match_info["token"],
                str(form.get("login", "")),
                str(form.get("name", "")),
                str(form.get("password", "")),
                request.app[CLOCK].now(),
            )
    except staff.StaffError as error:
        page = context(request, session, error=i18n.gettext(str(error)))
        return render_template("invitation.html", request, page, status=400)
    flash(session, i18n.gettext("Your account is ready. Please log in."))
    raise web.HTTPSeeOther(request.app.router["login"].url_for())
