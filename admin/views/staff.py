"""Administrators: staff accounts (invite, disable, enable), the audit log, and statistics
for everyone (observers see only these: counts, no personal data)."""

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from admin import i18n
from admin.keys import CLOCK, SESSIONS
from admin.security import MEMBER, SCOPE, context, flash
from admin.transactions import transaction
from bot.core import audit, staff
from bot.core.statistics import statistics
from bot.text.catalogs import N_
from storage.models import StaffMember, StaffRole


async def staff_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        values = context(
            request,
            session,
            staff=await staff.staff_list(db),
            streets=await staff.streets(db),
            roles=list(StaffRole),
            invitation=session.pop("invitation", None),
        )
    return render_template("staff.html", request, values)


async def invite(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    form = await request.post()
    role = str(form.get("role", ""))
    streets = [int(s) for s in form.getall("street", []) if str(s).isdigit() and len(s) < 10]
    try:
        if role not in set(StaffRole):
            raise staff.StaffError(N_("Choose a role."))
        async with transaction(request) as db:
            token = await staff.invite(
                db, request[MEMBER], StaffRole(role), streets, request.app[CLOCK].now()
            )
    except staff.StaffError as error:
        flash(session, i18n.gettext(str(error)))
    else:
        link = request.app.router["invitation"].url_for(token=token)
        session["invitation"] = str(request.url.with_path(str(link)).with_query(None))
    raise web.HTTPSeeOther(request.app.router["staff"].url_for())


async def _member(db: AsyncSession, request: web.Request) -> StaffMember:
    staff_id = request.match_info["staff_id"]
    member = await db.get(StaffMember, int(staff_id))
    if member is None:
        raise web.HTTPNotFound()
    return member


def set_active(active: bool):
    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        try:
            async with transaction(request) as db:
                member = await _member(db, request)
                await staff.set_active(
                    db, request[MEMBER], member, active, request.app[CLOCK].now()
                )
        except staff.StaffError as error:
            flash(session, i18n.gettext(str(error)))
        raise web.HTTPSeeOther(request.app.router["staff"].url_for())

    handle.__name__ = "enable" if active else "disable"
    return handle


async def audit_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    query = request.query
    who = query.get("staff", "")
    wanted = audit.AuditFilter(
        staff_id=int(who) if who.isdigit() and len(who) < 10 else None,
        action=query.get("action", "")[:64],
        target=query.get("target", "")[:100],
    )
    async with request.app[SESSIONS]() as db:
        values = context(
            request,
            session,
            entries=await audit.entries(db, wanted),
            staff={m.id: m for m in await staff.staff_list(db)},
            wanted=wanted,
        )
    return render_template("audit.html", request, values)


async def stats_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    member: StaffMember = request[MEMBER]
    async with request.app[SESSIONS]() as db:
        scope = request[SCOPE]
        rows = await statistics(db, None if member.role != StaffRole.STREET else scope)
    return render_template("stats.html", request, context(request, session, rows=rows))
