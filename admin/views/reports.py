"""Reports: the dashboard of a place and period, with its charts (each also a table), and the
duty records of deputies (履职档案). Counts and names of deputies only, no resident's data:
observers see them too."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from admin import i18n
from admin.keys import CLOCK, SESSIONS, TIMEZONE
from admin.security import MEMBER, SCOPE, context
from bot.core import reports
from bot.core.scope import Scope
from storage.models import Deputy, StaffRole


def report_scope(request: web.Request) -> Scope:
    """Street staff see their streets; administrators and observers the whole city."""
    if request[MEMBER].role == StaffRole.STREET:
        return request[SCOPE]
    return Scope(everything=True)


def period_of(request: web.Request) -> reports.Period:
    today = request.app[CLOCK].now().astimezone(ZoneInfo(request.app[TIMEZONE])).date()
    return reports.Period.from_params(request.query, today)


def duration(seconds: float | None) -> str:
    """A median wait as staff read it: hours under two days, days beyond."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return i18n.gettext("{hours} h", hours=round(hours, 1))
    return i18n.gettext("{days} d", days=round(hours / 24, 1))


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def charts(report: reports.Dashboard) -> str:
    """The charts' data, for `static/charts.js` (a JSON block: no inline script)."""
    t = report.totals
    data: dict[str, Any] = {
        "weeks": {
            "labels": [bucket.start.isoformat() for bucket in report.weeks],
            "series": {
                i18n.gettext("Received"): [bucket.received for bucket in report.weeks],
                i18n.gettext("Resolved"): [bucket.resolved for bucket in report.weeks],
            },
        },
        "months": {
            "labels": [bucket.start.strftime("%Y-%m") for bucket in report.months],
            "series": {
                i18n.gettext("Received"): [bucket.received for bucket in report.months],
                i18n.gettext("Resolved"): [bucket.resolved for bucket in report.months],
            },
        },
        "categories": {
            "labels": [share.name for share in report.categories],
            "series": {i18n.gettext("Received"): [s.received for s in report.categories]},
        },
        "satisfaction": {
            "pie": {
                i18n.gettext("Satisfied"): t.satisfied,
                i18n.gettext("Fairly satisfied"): t.fairly_satisfied,
                i18n.gettext("Unsatisfied"): t.unsatisfied,
                i18n.gettext("Not rated"): t.not_rated,
            }
        },
    }
    # "</" cannot end the block early: the names come from the directory.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


async def dashboard_of(request: web.Request, db: AsyncSession) -> reports.Dashboard:
    """The dashboard the request names, within the staff member's streets (404 otherwise)."""
    scope = report_scope(request)
    try:
        place = await reports.place_of(db, scope, request.query)
    except reports.UnknownPlace:
        raise web.HTTPNotFound(text=i18n.gettext("No such area or station.")) from None
    return await reports.dashboard(
        db,
        scope,
        place,
        period_of(request),
        request.app[CLOCK].now(),
        request.app[TIMEZONE],
        sessions=request.app[SESSIONS],
    )


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        report = await dashboard_of(request, db)
        place, period = report.place, report.period
        values = context(
            request,
            session,
            report=report,
            charts=charts(report),
            duration=duration,
            percent=percent,
            query=f"{place.param}&{period.params()}".lstrip("&"),
            **await reports.places(db, report_scope(request)),
        )
    return render_template("dashboard.html", request, values)


async def deputies_of(request: web.Request) -> list[Deputy]:
    async with request.app[SESSIONS]() as db:
        return await reports.deputies(db, report_scope(request))


async def deputies_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    values = context(
        request,
        session,
        deputies=await deputies_of(request),
        query_string=period_of(request).params(),
    )
    return render_template("deputies.html", request, values)


async def duty_record_of(request: web.Request) -> reports.DutyRecord:
    """The record the request names, within the staff member's streets (404 otherwise)."""
    deputy_id = int(request.match_info["deputy_id"])
    async with request.app[SESSIONS]() as db:
        deputy = await reports.deputy(db, report_scope(request), deputy_id)
        if deputy is None:
            raise web.HTTPNotFound(text=i18n.gettext("No such deputy."))
        return await reports.duty_record(
            db, deputy, period_of(request), request.app[CLOCK].now(), request.app[TIMEZONE]
        )


async def duty_record_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    record = await duty_record_of(request)
    values = context(
        request,
        session,
        record=record,
        duration=duration,
        percent=percent,
        query=record.period.params(),
    )
    return render_template("duty_record.html", request, values)
