"""The directory in the panel: areas (with their outlines), stations, deputy groups (and their
bind codes), deputies, categories, departments, routing rules, deadlines and calendar days.
Each section has a list and a form; a form's problems are shown next to its fields. Every
edit is a core function (`bot.core.directory.editing`): the same checks and the same loader
as `load-directory`, recorded in the audit log."""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from multidict import MultiDictProxy

from admin import i18n
from admin.keys import CLOCK, RECEPTIONS, SESSIONS
from admin.outline import drawing
from admin.security import IMPORT_MAX_SIZE, MEMBER, SCOPE, TOO_LARGE, context, flash
from admin.transactions import transaction
from admin.views.receptions import refusal_text
from bot.core.directory import LoadReport, editing
from bot.core.directory.file import DirectoryError, Problem
from bot.text.catalogs import N_
from storage.models import AreaKind, StaffRole

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KEY = "{key:[A-Za-z0-9_.-]{1,64}}"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str = "text"  # text, number, select, multi, check, json, date
    choices: str = ""  # the section whose entries are offered, or "kinds"
    contact: bool = False  # a Telegram id: shown to administrators only
    listed: bool = True  # a column of the list


@dataclass(frozen=True)
class Section:
    name: str  # the directory file's section
    slug: str  # its address in the panel: /directory/<slug>
    title: str
    fields: tuple[Field, ...]
    key_field: str = "code"  # fixed once the entry exists


CODE = Field("code", N_("Code"))
NAME = Field("name", N_("Official name"))
NAME_EN = Field("name_en", N_("Name in English"))
SECTIONS = (
    Section(
        "areas",
        "areas",
        N_("Areas"),
        (
            CODE,
            NAME,
            NAME_EN,
            Field("kind", N_("Kind"), "select", "kinds"),
            Field("parent", N_("Within"), "select", "areas"),
            Field("staff_chat_id", N_("Staff chat id (streets)"), "number", contact=True),
            Field("boundary", N_("Boundary (GeoJSON)"), "json", listed=False),
        ),
    ),
    Section(
        "stations",
        "stations",
        N_("Liaison stations"),
        (
            CODE,
            NAME,
            NAME_EN,
            Field("area", N_("Area"), "select", "areas"),
            Field("address", N_("Address")),
        ),
    ),
    Section(
        "deputy_groups",
        "groups",
        N_("Deputy groups"),
        (
            CODE,
            NAME,
            NAME_EN,
            Field("station", N_("Liaison station"), "select", "stations"),
            Field("chat_id", N_("Group chat id"), "number", contact=True),
            Field("areas", N_("Areas it covers"), "multi", "areas"),
            Field("fallback", N_("Takes what no rule sends elsewhere (兜底)"), "check"),
        ),
    ),
    Section(
        "deputies",
        "deputies",
        N_("Deputies"),
        (
            CODE,
            Field("name", N_("Name")),
            Field("level", N_("Level")),
            Field("public_profile", N_("Published with their consent (public page)"), listed=False),
            Field("telegram_user_id", N_("Telegram user id"), "number", contact=True),
            Field("groups", N_("Deputy groups"), "multi", "deputy_groups"),
        ),
    ),
    Section("categories", "categories", N_("Categories"), (CODE, NAME, NAME_EN)),
    Section("departments", "departments", N_("Departments"), (CODE, NAME, NAME_EN)),
    Section(
        "routing",
        "routing",
        N_("Routing rules"),
        (
            Field("area", N_("From the area (and below)"), "select", "areas"),
            Field("category", N_("Of the category (any if none)"), "select", "categories"),
            Field("group", N_("Goes to the deputy group"), "select", "deputy_groups"),
        ),
        key_field="",
    ),
    Section(
        "deadlines",
        "deadlines",
        N_("Deadlines"),
        (
            Field("key", N_("For"), "select", "deadline_keys"),
            Field("acknowledge_days", N_("Working days to accept"), "number"),
            Field("answer_days", N_("Working days to answer"), "number"),
            Field("reopen_answer_days", N_("Working days to answer after a reopen"), "number"),
            Field("extension_max_days", N_("Longest extension (calendar days)"), "number"),
        ),
        key_field="key",
    ),
    Section(
        "calendar",
        "calendar",
        N_("Holidays and working days"),
        (
            Field("day", N_("Day"), "date"),
            Field("workday", N_("A working day"), "check"),
            Field("note", N_("Note")),
        ),
        key_field="day",
    ),
)
BY_SLUG = {section.slug: section for section in SECTIONS}
KIND_LABELS = {
    "district": N_("District (区/县)"),
    "street": N_("Street or township (街道/乡镇)"),
    "community": N_("Community or village (社区/村)"),
    "grid": N_("Grid (网格)"),
}


def _choices(data: editing.Data, which: str) -> dict[str, str]:
    """code → name of what a select offers."""
    if which == "kinds":
        return {kind.value: i18n.gettext(KIND_LABELS[kind.value]) for kind in AreaKind}
    if which == "deadline_keys":
        default = {"default": i18n.gettext("Every category without its own")}
        return default | _choices(data, "categories")
    if which == "areas":
        return {a["code"]: "　" * a["depth"] + a["name"] for _, a in editing.rows(data, "areas")}
    return {entry["code"]: entry["name"] for entry in data[which]}


def _page(
    request: web.Request,
    session: Any,
    section: Section,
    data: editing.Data,
    **values: Any,
) -> dict[str, Any]:
    member = request[MEMBER]
    fields = [f for f in section.fields if not f.contact or member.role == StaffRole.ADMINISTRATOR]
    return context(
        request,
        session,
        section=section,
        sections=SECTIONS,
        fields=fields,
        choices={f.choices: _choices(data, f.choices) for f in fields if f.choices},
        editor=member.role == StaffRole.ADMINISTRATOR,
        **values,
    )


async def directory_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["directory_areas"].url_for())


def list_handler(section: Section) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        async with request.app[SESSIONS]() as db:
            data = await editing.stored_directory(db)
        values = _page(
            request,
            session,
            section,
            data,
            rows=editing.rows(data, section.name),
            entry={},
            errors={},
            general=[],
            map=_map(data, None) if section.name == "areas" else None,
        )
        return render_template("directory_list.html", request, values)

    handle.__name__ = f"{section.slug}_list"
    return handle


def entry_handler(section: Section) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        key = request.match_info["key"]
        async with request.app[SESSIONS]() as db:
            data = await editing.stored_directory(db)
        try:
            entry = editing.entry_of(data, section.name, key)
        except editing.NotFound:
            raise web.HTTPNotFound(text=i18n.gettext("No such entry.")) from None
        return _entry_page(request, session, section, data, key, _form_values(entry), {}, [])

    handle.__name__ = f"{section.slug}_entry"
    return handle


def _entry_page(
    request: web.Request,
    session: Any,
    section: Section,
    data: editing.Data,
    key: str | None,
    entry: dict[str, Any],
    errors: dict[str, list[str]],
    general: list[str],
    status: int = 200,
) -> web.StreamResponse:
    values = _page(
        request,
        session,
        section,
        data,
        key=key,
        entry=entry,
        errors=errors,
        general=general,
        map=_map(data, key) if section.name == "areas" and key else None,
        bind_code=session.pop("bind_code", None) if section.name == "deputy_groups" else None,
    )
    response = render_template("directory_entry.html", request, values)
    response.set_status(status)
    return response


def _map(data: editing.Data, code: str | None) -> Any:
    """The area's outline and those of the areas within it; without an area, every area."""
    boundaries = data["boundaries"]
    areas = editing.rows(data, "areas")
    if code is None:
        shown = [(c, a["name"], boundaries.get(c), a["depth"] == 0) for c, a in areas]
    else:
        shown = [(code, "", boundaries.get(code), True)] + [
            (c, a["name"], boundaries.get(c), False) for c, a in areas if a["parent"] == code
        ]
    return drawing(shown)


def _form_values(entry: dict[str, Any]) -> dict[str, Any]:
    shown = dict(entry)
    if shown.get("boundary") is not None:
        shown["boundary"] = json.dumps(shown["boundary"], ensure_ascii=False)
    return shown


def _entry_from(
    section: Section, form: MultiDictProxy[Any]
) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """The form as the file's entry (what was typed, for showing again, and what it means)."""
    typed: dict[str, Any] = {}
    entry: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in section.fields:
        if field.widget == "multi":
            chosen = [str(v) for v in form.getall(field.name, [])]
            typed[field.name] = entry[field.name] = chosen
            continue
        if field.widget == "check":
            typed[field.name] = entry[field.name] = field.name in form
            continue
        text = str(form.get(field.name, "")).strip()
        typed[field.name] = text
        if field.name in ("code", "name", section.key_field) and field.name != "":
            entry[field.name] = text
        elif field.widget == "json" and text:
            try:
                entry[field.name] = json.loads(text)
            except ValueError:
                problems.append(Problem((field.name,), N_("not valid GeoJSON (JSON) text")))
        elif text:
            entry[field.name] = text
    return typed, entry, problems


def _shown_problems(
    refused: editing.Refused, section: Section
) -> tuple[dict[str, list[str]], list[str]]:
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    names = {field.name for field in section.fields}
    for problem in refused.problems:
        text = problem.text(i18n.gettext)
        field = refused.field_of(problem)
        if field in names:
            errors.setdefault(field, []).append(text)
        else:
            general.append(f"{problem.path}: {text}" if problem.path else text)
    return errors, general


def save_handler(section: Section, new: bool) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        form = await request.post()
        key = None if new else request.match_info["key"]
        typed, entry, problems = _entry_from(section, form)
        if key is not None and section.key_field:
            entry.pop(section.key_field, None)
            typed[section.key_field] = key
        try:
            if problems:  # the form's own (text that is not JSON): nothing to check further
                raise editing.Refused(problems, ())
            async with transaction(request) as db:
                saved = await editing.save_entry(
                    db, request[MEMBER], request.app[CLOCK].now(), section.name, key, entry
                )
        except editing.NotFound:
            raise web.HTTPNotFound(text=i18n.gettext("No such entry.")) from None
        except editing.Refused as refused:
            errors, general = _shown_problems(refused, section)
            async with request.app[SESSIONS]() as db:
                data = await editing.stored_directory(db)
            return _entry_page(request, session, section, data, key, typed, errors, general, 400)
        flash(session, i18n.gettext("Saved."))
        location = request.app.router[f"directory_{section.slug}_entry"].url_for(key=saved)
        raise web.HTTPSeeOther(location)

    handle.__name__ = f"{section.slug}_{'create' if new else 'save'}"
    return handle


def remove_handler(section: Section) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        key = request.match_info["key"]
        try:
            async with transaction(request) as db:
                await editing.remove_entry(
                    db, request[MEMBER], request.app[CLOCK].now(), section.name, key
                )
        except editing.NotFound:
            raise web.HTTPNotFound(text=i18n.gettext("No such entry.")) from None
        except editing.Refused as refused:
            errors, general = _shown_problems(refused, section)
            reasons = general + [text for texts in errors.values() for text in texts]
            flash(session, i18n.gettext("Not removed: {reasons}", reasons="；".join(reasons)))
            location = request.app.router[f"directory_{section.slug}_entry"].url_for(key=key)
            raise web.HTTPSeeOther(location) from None
        flash(session, i18n.gettext("Removed."))
        raise web.HTTPSeeOther(request.app.router[f"directory_{section.slug}"].url_for())

    handle.__name__ = f"{section.slug}_remove"
    return handle


async def bind_code(request: web.Request) -> web.StreamResponse:
    """A one-time code for the group's chat, shown once on the group's page."""
    session = await get_session(request)
    key = request.match_info["key"]
    try:
        async with transaction(request) as db:
            group, code = await editing.bind_code_for(
                db, request[MEMBER], request[SCOPE], key, request.app[CLOCK].now()
            )
    except editing.NotFound:
        raise web.HTTPNotFound(text=i18n.gettext("No such entry.")) from None
    session["bind_code"] = code
    location = request.app.router["directory_groups_entry"].url_for(key=group.code)
    raise web.HTTPSeeOther(location)


# The loader's counts are by table; each is named as the panel names its section.
TABLES = {s.name: s.title for s in SECTIONS} | {
    "routing_rules": N_("Routing rules"),
    "deadline_policies": N_("Deadlines"),
    "calendar_days": N_("Holidays and working days"),
}


def _summary(report: LoadReport) -> str:
    return "；".join(
        i18n.gettext(
            "{what}: {new} new, {changed} changed",
            what=i18n.gettext(TABLES.get(kind, kind)),
            new=report.created.get(kind, 0),
            changed=report.updated.get(kind, 0),
        )
        for kind in sorted(set(report.created) | set(report.updated))
    )


MAX_SIZE = {"max_size": IMPORT_MAX_SIZE // (1024 * 1024)}  # in MB, as the page says it


async def import_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    values = context(request, session, sections=SECTIONS, problems=[], source="")
    return render_template("directory_import.html", request, values | MAX_SIZE)


async def export(request: web.Request) -> web.StreamResponse:
    """The stored directory as a file `load-directory` and the import read."""
    async with request.app[SESSIONS]() as db:
        text = editing.export_yaml(await editing.stored_directory(db))
    return web.Response(
        text=text,
        content_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="directory.yaml"'},
    )


async def import_file(request: web.Request) -> web.StreamResponse:
    """A whole directory file, checked as `load-directory` checks it: a broken file changes
    nothing, and every problem is listed with its line."""
    session = await get_session(request)
    if TOO_LARGE in request:
        values = context(
            request,
            session,
            sections=SECTIONS,
            problems=[],
            source="",
            too_large=True,
        )
        response = render_template("directory_import.html", request, values | MAX_SIZE)
        response.set_status(413)
        return response
    form = await request.post()
    upload = form.get("file")
    source = "directory.yaml"
    if isinstance(upload, FileField):
        source = upload.filename or source
        raw = upload.file.read()
    else:
        raw = str(upload or "").encode()
    try:
        text = raw.decode("utf-8-sig")
        async with transaction(request) as db:
            report, receptions = await editing.import_file(
                db, request[MEMBER], request.app[RECEPTIONS], text, source
            )
    except UnicodeDecodeError:
        problems = [Problem((), N_("the file is not UTF-8 text"), {}, 1)]
    except DirectoryError as error:
        problems = error.found
    else:
        changed = _summary(report) if report.changed else i18n.gettext("nothing had changed")
        flash(session, i18n.gettext("The file was loaded: {what}.", what=changed))
        if receptions.scheduled:
            flash(session, i18n.gettext("New receptions: {n}.", n=receptions.scheduled))
        for skipped in receptions.skipped:
            why = (
                refusal_text(skipped.refusal, skipped.detail)
                if skipped.refusal
                else i18n.gettext("The liaison station has no active deputy group.")
            )
            flash(
                session,
                i18n.gettext("Reception {key} not scheduled: {why}", key=skipped.key, why=why),
            )
        raise web.HTTPSeeOther(request.app.router["directory_import"].url_for())
    values = context(request, session, sections=SECTIONS, problems=problems, source=source)
    response = render_template("directory_import.html", request, values | MAX_SIZE)
    response.set_status(400)
    return response
