"""The panel's guards, as middlewares: how large a request may be (small, but for the
directory's import); security headers on every answer; CSRF on every form; who is signed in
(their session must carry the account's current epoch, so log-out elsewhere and disabling end
it) and what their role lets them open (the route table's `access`)."""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import Session, get_session

from admin import i18n
from admin.access import Access
from admin.keys import ACCESS, CATALOGS, SESSIONS, TIMEZONE
from bot.core.scope import Scope, scope_of
from storage.models import StaffMember, StaffRole

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MEMBER = web.RequestKey("member", StaffMember)
SCOPE = web.RequestKey("scope", Scope)
# A request larger than its route takes; its form was not read (nor its CSRF token).
TOO_LARGE = web.RequestKey("too_large", int)
FORM_MAX_SIZE = 256 * 1024
# A city's directory file with surveyed boundaries: 1,000 areas of 300 points, 300 stations,
# 3,000 deputies come to 12.8 MB as the panel exports them (`bench.city_directory`).
IMPORT_MAX_SIZE = 32 * 1024 * 1024
UPLOADS = {"directory_import_file": IMPORT_MAX_SIZE}  # route → what it takes, beyond a form
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # invitation links carry a token
    "Cache-Control": "no-store",
}


@web.middleware
async def upload_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The routes that take files read the request with their own limit (the first middleware:
    the ones after it, and the handler, all see this request)."""
    limit = UPLOADS.get(request.match_info.route.name or "")
    return await handler(request.clone(client_max_size=limit) if limit else request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exception:
        response = exception
        response.headers.update(HEADERS)
        raise
    # A page that says how it may be cached (the public ones) keeps its word on it.
    cache = response.headers.get("Cache-Control")
    response.headers.update(HEADERS)
    if cache:
        response.headers["Cache-Control"] = cache
    return response


def csrf_token(session: Session) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST must carry the session's token in its `csrf` field."""
    if request.method == "POST":
        session = await get_session(request)
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            if request.match_info.route.name not in UPLOADS:
                raise
            # Nothing is read, so nothing can change: its handler says why, politely, to
            # whoever the route lets in.
            request[TOO_LARGE] = request.client_max_size
            return await handler(request)
        sent = form.get("csrf")
        expected = session.get("csrf")
        if not (
            isinstance(sent, str)
            and isinstance(expected, str)
            and hmac.compare_digest(sent, expected)
        ):
            raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page.")
    return await handler(request)


async def signed_in(request: web.Request) -> StaffMember | None:
    session = await get_session(request)
    staff_id = session.get("staff_id")
    if not isinstance(staff_id, int):
        return None
    async with request.app[SESSIONS]() as db:
        member = await db.get(StaffMember, staff_id)
        if member is None or not member.active or member.session_epoch != session.get("epoch"):
            session.invalidate()
            return None
        request[SCOPE] = await scope_of(db, member)
    return member


ALLOWED: dict[Access, frozenset[StaffRole]] = {
    Access.SIGNED_IN: frozenset(StaffRole),
    Access.TICKETS: frozenset({StaffRole.ADMINISTRATOR, StaffRole.STREET}),
    Access.ADMIN: frozenset({StaffRole.ADMINISTRATOR}),
}


@web.middleware
async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sets the language, then lets a request through only as the route table allows. A
    probe goes through before any session is read: a monitor has none, and needs none."""
    route = request.match_info.route
    if request.app[ACCESS].get(route.name or "") == Access.PROBE:
        return await handler(request)
    session = await get_session(request)
    catalogs = request.app[CATALOGS]
    i18n.timezone.set(request.app[TIMEZONE])
    i18n.current.set(catalogs.get(session.get("locale")))
    if request.match_info.http_exception is not None:  # no such page, or wrong method
        raise request.match_info.http_exception
    access = request.app[ACCESS].get(route.name or "")
    if access is None:
        raise web.HTTPForbidden(text="route without an access rule")
    if access == Access.PUBLIC:
        return await handler(request)
    member = await signed_in(request)
    if member is None:
        if request.method == "GET":
            raise web.HTTPSeeOther(request.app.router["login"].url_for())
        raise web.HTTPForbidden(text="signed out")
    i18n.current.set(catalogs.get(session.get("locale") or member.locale))
    if member.role not in ALLOWED[access]:
        raise web.HTTPForbidden(text=i18n.gettext("You may not open this page."))
    request[MEMBER] = member
    return await handler(request)


def flash(session: Session, message: str) -> None:
    session["flash"] = [*session.get("flash", []), message]


def context(request: web.Request, session: Session, **values: Any) -> dict[str, Any]:
    """What every page's template needs."""
    messages = session.pop("flash", [])
    return {
        "member": request.get(MEMBER),  # type: ignore[call-overload]
        "csrf": csrf_token(session),
        "flashes": messages,
        "locale": i18n.current.get().locale,
        "path": request.path_qs,
        **values,
    }
