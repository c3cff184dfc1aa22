"""Every route of the panel in one table, each with who may open it (`Access`). The
authorization matrix test walks this table, so a new route cannot be left unchecked."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from admin.access import Access
from admin.keys import ACCESS
from admin.views import (
    auth,
    directory,
    exports,
    health,
    inbox,
    public,
    receptions,
    reports,
    staff,
    suggestions,
    templates,
    tickets,
)

STATIC = Path(__file__).parent / "static"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    name: str
    handler: Handler
    access: Access


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", "healthz", health.healthz, Access.PROBE),
    Route("GET", "/readyz", "readyz", health.readyz, Access.PROBE),
    Route("GET", "/login", "login", auth.login_page, Access.PUBLIC),
    Route("POST", "/login", "login_submit", auth.login, Access.PUBLIC),
    Route("GET", "/invitation/{token}", "invitation", auth.invitation_page, Access.PUBLIC),
    Route(
        "POST", "/invitation/{token}", "invitation_accept", auth.accept_invitation, Access.PUBLIC
    ),
    Route("POST", "/language", "language", auth.language, Access.PUBLIC),
    Route("GET", "/public/", "public", public.stations_page, Access.PUBLIC),
    Route(
        "GET",
        "/public/{code:[A-Za-z0-9_.-]{1,64}}",
        "public_station",
        public.station_page,
        Access.PUBLIC,
    ),
    Route("POST", "/logout", "logout", auth.logout, Access.SIGNED_IN),
    Route("GET", "/", "home", auth.home, Access.SIGNED_IN),
    Route("GET", "/stats", "stats", staff.stats_page, Access.SIGNED_IN),
    Route("GET", "/reports", "reports", reports.dashboard_page, Access.SIGNED_IN),
    Route("GET", "/reports/deputies", "deputies", reports.deputies_page, Access.SIGNED_IN),
    Route(
        "GET",
        "/deputies/{deputy_id:\\d{1,9}}/record",
        "duty_record",
        reports.duty_record_page,
        Access.SIGNED_IN,
    ),
    *(
        Route("GET", f"{path}.{kind}", f"{name}_{kind}", exports.handler(export, kind), access)
        for path, name, export, access in (
            ("/export/tickets", "export_tickets", exports.export_tickets, Access.TICKETS),
            ("/export/report", "export_report", exports.export_report, Access.SIGNED_IN),
            (
                "/export/duty-records",
                "export_duty_records",
                exports.export_duty_records,
                Access.SIGNED_IN,
            ),
            (
                "/export/deputies/{deputy_id:\\d{1,9}}/record",
                "export_duty_record",
                exports.export_duty_record,
                Access.SIGNED_IN,
            ),
        )
        for kind in exports.WRITERS
    ),
    Route("GET", "/inbox", "inbox", inbox.inbox_page, Access.TICKETS),
    Route("POST", "/inbox/filters", "filter_save", inbox.save_filter, Access.TICKETS),
    Route(
        "POST",
        "/inbox/filters/{filter_id:\\d{1,9}}/delete",
        "filter_forget",
        inbox.forget_filter,
        Access.TICKETS,
    ),
    Route("POST", "/inbox/bulk", "bulk", inbox.bulk, Access.TICKETS),
    Route("GET", "/supervision", "supervision", inbox.supervision_page, Access.TICKETS),
    Route("GET", "/tickets/{number}", "ticket", tickets.ticket_page, Access.TICKETS),
    *(
        Route(
            "POST",
            f"/tickets/{{number}}/{name}",
            f"ticket_{name}",
            tickets.action_handler(name),
            Access.TICKETS,
        )
        for name in tickets.ACTIONS
    ),
    Route("GET", "/suggestions", "suggestions", suggestions.suggestions_page, Access.TICKETS),
    Route(
        "GET",
        "/suggestions/{id:\\d{1,9}}",
        "suggestion",
        suggestions.suggestion_page,
        Access.TICKETS,
    ),
    Route(
        "POST",
        "/suggestions/{id:\\d{1,9}}/answer",
        "suggestion_answer",
        suggestions.answer,
        Access.TICKETS,
    ),
    Route("GET", "/staff", "staff", staff.staff_page, Access.ADMIN),
    Route("POST", "/staff/invite", "staff_invite", staff.invite, Access.ADMIN),
    Route(
        "POST",
        "/staff/{staff_id:\\d{1,9}}/disable",
        "staff_disable",
        staff.set_active(False),
        Access.ADMIN,
    ),
    Route(
        "POST",
        "/staff/{staff_id:\\d{1,9}}/enable",
        "staff_enable",
        staff.set_active(True),
        Access.ADMIN,
    ),
    Route("GET", "/audit", "audit", staff.audit_page, Access.ADMIN),
    Route("GET", "/templates", "templates", templates.templates_page, Access.ADMIN),
    Route("POST", "/templates", "template_save", templates.save, Access.ADMIN),
    Route("POST", "/templates/delete", "template_forget", templates.forget, Access.ADMIN),
)


def _directory_routes() -> tuple[Route, ...]:
    """Each section of the directory: its list and form (read by every signed-in staff
    member), and its changes (administrators); a deputy group's bind code (staff of its
    street too)."""
    found = [
        Route("GET", "/directory", "directory", directory.directory_page, Access.SIGNED_IN),
        Route("GET", "/directory/export", "directory_export", directory.export, Access.ADMIN),
        Route("GET", "/directory/import", "directory_import", directory.import_page, Access.ADMIN),
        Route(
            "POST",
            "/directory/import",
            "directory_import_file",
            directory.import_file,
            Access.ADMIN,
        ),
    ]
    for s in directory.SECTIONS:
        base, name, key = f"/directory/{s.slug}", f"directory_{s.slug}", directory.KEY
        found += [
            Route("GET", base, name, directory.list_handler(s), Access.SIGNED_IN),
            Route("POST", base, f"{name}_create", directory.save_handler(s, True), Access.ADMIN),
            Route(
                "GET",
                f"{base}/{key}",
                f"{name}_entry",
                directory.entry_handler(s),
                Access.SIGNED_IN,
            ),
            Route(
                "POST",
                f"{base}/{key}",
                f"{name}_save",
                directory.save_handler(s, False),
                Access.ADMIN,
            ),
            Route(
                "POST",
                f"{base}/{key}/remove",
                f"{name}_remove",
                directory.remove_handler(s),
                Access.ADMIN,
            ),
        ]
    found.append(
        Route(
            "POST",
            f"/directory/groups/{directory.KEY}/bind-code",
            "directory_groups_bind_code",
            directory.bind_code,
            Access.TICKETS,
        )
    )
    return tuple(found)


ROUTES += _directory_routes()
ROUTES += (
    Route("GET", "/receptions", "receptions", receptions.receptions_page, Access.TICKETS),
    Route("GET", "/receptions/new", "reception_new", receptions.new_page, Access.TICKETS),
    Route("POST", "/receptions", "reception_create", receptions.create, Access.TICKETS),
    Route(
        "GET", "/receptions/{id:\\d{1,9}}", "reception", receptions.reception_page, Access.TICKETS
    ),
    *(
        Route(
            "POST",
            f"/receptions/{{id:\\d{{1,9}}}}/{name}",
            f"reception_{name}",
            receptions.action_handler(name),
            Access.TICKETS,
        )
        for name in receptions.ACTIONS
    ),
)


def setup_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)
    app.router.add_static("/static/", STATIC, name="static")
    app[ACCESS] = {route.name: route.access for route in ROUTES} | {"static": Access.PUBLIC}
