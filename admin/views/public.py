"""The public results page (五公开): the list of stations at /public/ and each station's page,
open to anyone, without log-in. They render only what `bot.core.public` hands over (nothing
of a resident's), and are cached: in the process for a minute, and by browsers and proxies
(Cache-Control) as long."""

import aiohttp_jinja2
from aiohttp import web

from admin import i18n
from admin.keys import CATALOGS, CLOCK, PUBLIC_CACHE, SESSIONS, TIMEZONE
from admin.views.reports import duration, percent
from bot.core import public
from bot.text.catalogs import N_
from bot.text.receptions import kind_label

OUTCOMES = {
    "in_progress": N_("In progress"),
    "answered": N_("Answered, not yet concluded"),
    "resolved": N_("Resolved"),
    "unresolvable": N_("Not resolvable now"),
}


def _language(request: web.Request) -> str:
    """`?lang=en` or `?lang=zh_Hans` chooses; otherwise the session's, or Chinese."""
    wanted = request.query.get("lang", "")
    if wanted in ("en", "zh_Hans"):
        i18n.current.set(request.app[CATALOGS].get(wanted))
    return i18n.current.get().locale


async def _cached(request: web.Request, render) -> web.StreamResponse:
    key = (request.path, _language(request))
    page = request.app[PUBLIC_CACHE].get(key)
    if page is None:
        page = await render()
        request.app[PUBLIC_CACHE].put(key, page)
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Cache-Control": f"public, max-age={int(request.app[PUBLIC_CACHE].ttl)}"},
    )


def _values(request: web.Request, **values: object) -> dict[str, object]:
    return {
        "locale": i18n.current.get().locale,
        "path": request.path,
        "member": None,
        **values,
    }


async def stations_page(request: web.Request) -> web.StreamResponse:
    async def render() -> str:
        async with request.app[SESSIONS]() as db:
            stations = await public.stations(db)
        return aiohttp_jinja2.render_string(
            "public_list.html", request, _values(request, stations=stations)
        )

    return await _cached(request, render)


async def station_page(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]

    async def render() -> str:
        async with request.app[SESSIONS]() as db:
            results = await public.station_results(
                db, code, request.app[CLOCK].now(), request.app[TIMEZONE]
            )
        if results is None:
            raise web.HTTPNotFound(text=i18n.gettext("No such liaison station."))
        return aiohttp_jinja2.render_string(
            "public_station.html",
            request,
            _values(
                request,
                station=results,
                outcomes=public.OUTCOMES,
                outcome=lambda name: i18n.gettext(OUTCOMES[name]),
                kind=lambda k: kind_label(i18n.current.get(), k),
                duration=duration,
                percent=percent,
            ),
        )

    return await _cached(request, render)
