"""Receptions (接待) in the panel: the list (coming or past, by station), scheduling, changing
and cancelling (announced, and flagged when late, as from the command line), the sign-ups and
the waitlist, check-in, and afterwards attendance and the issues raised (each a ticket).
Street staff see their streets' stations only."""

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_jinja2 import render_template
from aiohttp_session import get_session
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from admin import i18n
from admin.keys import CLOCK, RECEPTIONS, SESSIONS, STAFF_DESK
from admin.labels import label
from admin.security import MEMBER, SCOPE, context, flash
from admin.transactions import transaction
from bot.core import reception_staff
from bot.core.reception_staff import PlanError, PlanForm, ReceptionStaff
from bot.core.receptions import Outcome, ReceptionRefused, Refusal, history
from bot.core.staff_desk import NotVisible
from bot.text import receptions as words
from bot.text.catalogs import N_
from storage.models import Reception, ReceptionChange, ReceptionKind

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Why the desk refused, and the field of the form it concerns ("" for the reception as such).
REFUSED: dict[Refusal, tuple[str, str]] = {
    Refusal.IN_THE_PAST: ("starts_at", N_("It would begin in the past.")),
    Refusal.ENDS_BEFORE_START: ("ends_at", N_("It would end before it begins.")),
    Refusal.NO_CAPACITY: ("capacity", N_("It must receive at least one resident.")),
    Refusal.NO_PLACE: ("place", N_("Give a place, or (online) how to join.")),
    Refusal.DEPUTY_BUSY: ("deputies", N_("On duty at another reception then: {detail}")),
    Refusal.CANCELLED: ("", N_("This reception has been cancelled.")),
    Refusal.STARTED: ("", N_("This reception has already begun: it can no longer be changed.")),
    Refusal.UNKNOWN_CODE: ("code", N_("No sign-up of this reception has that code.")),
    Refusal.OTHER_RECEPTION: ("code", N_("That code is of reception {detail}.")),
    Refusal.NOT_CONFIRMED: ("code", N_("That resident is on the waitlist and has no place.")),
    Refusal.ALREADY_CHECKED_IN: ("code", N_("That resident has already checked in.")),
    Refusal.CHECK_IN_NOT_OPEN: ("code", N_("Check-in opens one day before it begins.")),
    Refusal.OVER: ("", N_("This reception is over.")),
    Refusal.NOT_BEGUN: ("", N_("This reception has not begun yet.")),
    Refusal.RECORD_CLOSED: ("", N_("The record of this reception is closed.")),
    Refusal.NOT_ON_DUTY: ("", N_("That deputy is not on duty at this reception.")),
}


# The reception's history (what `bot.core.receptions` records): what each step did, and the
# fields it names, in the order the form shows them.
DONE = {
    "created": N_("Scheduled the reception"),
    "changed": N_("Changed the reception"),
    "cancelled": N_("Cancelled the reception"),
}
FIELDS = {
    "kind": N_("Form of reception"),
    "station": N_("Liaison station"),
    "group": N_("Deputy group on duty"),
    "starts_at": N_("Begins"),
    "ends_at": N_("Ends"),
    "capacity": N_("Places"),
    "deputies": N_("Deputies on duty"),
    "place": N_("Place"),
    "how_to_join": N_("Online: how to join"),
    "theme": N_("Theme"),
    "department": N_("Department invited"),
    "status": N_("Status"),
    "reason": N_("Reason"),
}


def _staff(request: web.Request) -> ReceptionStaff:
    return ReceptionStaff(request.app[RECEPTIONS], request.app[STAFF_DESK].desk)


def _refusal(refused: ReceptionRefused) -> tuple[str, str]:
    field, _ = REFUSED.get(refused.refusal, ("", ""))
    return field, refusal_text(refused.refusal, refused.detail)


def refusal_text(refusal: Refusal, detail: str) -> str:
    """The desk's refusal, in the staff member's language."""
    _, message = REFUSED.get(refusal, ("", N_("This cannot be done now.")))
    return i18n.gettext(message, detail=detail)


async def receptions_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    past = request.query.get("when") == "past"
    station = request.query.get("station", "")[:64]
    async with request.app[SESSIONS]() as db:
        scope = request[SCOPE]
        values = context(
            request,
            session,
            listed=await reception_staff.listed(db, request.app[RECEPTIONS], scope, past, station),
            stations=await reception_staff.stations(db, scope),
            past=past,
            station=station,
        )
    return render_template("receptions.html", request, values)


def _local(value: str, timezone: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return None


def _plan_form(form: MultiDictProxy[Any], timezone: str) -> PlanForm:
    def text(name: str) -> str | None:
        return str(form.get(name, "")).strip() or None

    capacity = str(form.get("capacity", "")).strip()
    return PlanForm(
        kind=text("kind") or "",
        station=text("station") or "",
        group=text("group") or "",
        starts_at=_local(str(form.get("starts_at", "")), timezone),
        ends_at=_local(str(form.get("ends_at", "")), timezone),
        capacity=int(capacity) if capacity.isdigit() and len(capacity) < 6 else None,
        deputies=tuple(str(code) for code in form.getall("deputies", [])),
        place=text("place"),
        how_to_join=text("how_to_join"),
        theme=text("theme"),
        department=text("department"),
    )


def _typed(form: MultiDictProxy[Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {key: str(value) for key, value in form.items() if key != "csrf"}
    typed["deputies"] = [str(code) for code in form.getall("deputies", [])]
    return typed


def _shown(reception: Reception, timezone: str) -> dict[str, Any]:
    """The reception as the form shows it."""
    zone = ZoneInfo(timezone)
    return {
        "kind": reception.kind.value,
        "station": reception.station.code,
        "group": reception.group.code,
        "starts_at": reception.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": reception.ends_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "capacity": str(reception.capacity),
        "deputies": [duty.deputy.code for duty in reception.duties],
        "place": reception.place or "",
        "how_to_join": reception.how_to_join or "",
        "theme": reception.theme or "",
        "department": reception.department or "",
    }


async def timeline(
    db: AsyncSession, changes: list[ReceptionChange], timezone: str
) -> list[dict[str, Any]]:
    """The history as staff read it: when, who, what was done, each field from → to (a new
    reception: what it was scheduled as), and how many residents were told (None: not counted
    when it was recorded)."""
    names = await reception_staff.history_names(db, changes)
    zone = ZoneInfo(timezone)

    def shown(key: str, value: Any) -> str:
        if value is None or value == [] or value == "":
            return "—"
        if key in ("starts_at", "ends_at"):
            return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if key == "kind":
            return label("reception_kind", value)
        if key == "status":
            return label("reception_status", value)
        if key == "deputies":
            return "、".join(value)
        return names.get((key, value), str(value))

    steps = []
    for change in changes:
        before, after = change.before or {}, change.after or {}
        fields = [
            {
                "name": i18n.gettext(FIELDS[key]),
                "before": shown(key, before[key]) if key in before else None,
                "after": shown(key, after.get(key)),
            }
            for key in FIELDS
            if key in before or (key in after and after[key] not in (None, "", []))
        ]
        steps.append(
            {
                "at": change.at,
                "by": change.by or "—",
                "done": i18n.gettext(DONE.get(change.action, change.action)),
                "fields": fields,
                "told": change.told,
            }
        )
    return steps


async def _form_values(request: web.Request, db: AsyncSession) -> dict[str, Any]:
    t = i18n.current.get()
    kinds = {kind.value: words.kind_label(t, kind) for kind in ReceptionKind}
    return await reception_staff.choices(db, request[SCOPE]) | {"kinds": kinds}


async def new_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    async with request.app[SESSIONS]() as db:
        values = context(
            request, session, entry={"capacity": "20"}, errors={}, **await _form_values(request, db)
        )
    return render_template("reception_new.html", request, values)


def _told(session: Any, outcome: Outcome) -> None:
    flash(
        session,
        i18n.gettext("Residents told (signed up or following the station): {n}.", n=outcome.told),
    )
    if outcome.promoted:
        n = len(outcome.promoted)
        flash(session, i18n.gettext("Places went to the waitlist (told): {n}.", n=n))
    if outcome.late and outcome.staff_told:
        flash(
            session,
            i18n.gettext(
                "Less than three days' notice, as the rules ask for: allowed, and flagged to "
                "the street's staff chat."
            ),
        )
    elif outcome.late:
        flash(
            session,
            i18n.gettext(
                "Less than three days' notice, as the rules ask for: allowed, but the directory "
                "names no staff chat for the street; please tell the staff yourself."
            ),
        )


async def create(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    form = await request.post()
    desk = request.app[RECEPTIONS]
    errors: dict[str, str] = {}
    try:
        async with transaction(request) as db:
            outcome = await _staff(request).create(
                db, request[MEMBER], request[SCOPE], _plan_form(form, desk.timezone)
            )
            reception_id = outcome.reception.id
    except PlanError as error:
        errors[error.field] = i18n.gettext(error.message, **error.values)
    except ReceptionRefused as refused:
        field, message = _refusal(refused)
        errors[field] = message
    else:
        flash(session, i18n.gettext("The reception has been scheduled."))
        _told(session, outcome)
        raise web.HTTPSeeOther(request.app.router["reception"].url_for(id=str(reception_id)))
    async with request.app[SESSIONS]() as db:
        values = context(
            request, session, entry=_typed(form), errors=errors, **await _form_values(request, db)
        )
    response = render_template("reception_new.html", request, values)
    response.set_status(400)
    return response


async def _page(
    request: web.Request,
    db: AsyncSession,
    reception: Reception,
    entry: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    session = await get_session(request)
    desk = request.app[RECEPTIONS]
    now = request.app[CLOCK].now()
    t = i18n.current.get()
    return context(
        request,
        session,
        reception=reception,
        title=words.title(t, reception),
        window=words.window(t, reception, desk.timezone),
        roster=await reception_staff.roster(db, desk, reception),
        outcomes=await _staff(request).outcome_numbers(db, reception),
        changes=await timeline(db, await history(db, reception.id), desk.timezone),
        recording=reception_staff.open_for_record(reception, now),
        changeable=reception.status == "scheduled" and reception.starts_at > now,
        entry=entry or _shown(reception, desk.timezone),
        errors=errors or {},
        nonce=secrets.token_urlsafe(12),
        **await _form_values(request, db),
    )


async def _visible(request: web.Request, db: AsyncSession) -> Reception:
    try:
        return await reception_staff.visible(db, request[SCOPE], int(request.match_info["id"]))
    except NotVisible:
        raise web.HTTPNotFound(text=i18n.gettext("No such reception.")) from None


async def reception_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        values = await _page(request, db, await _visible(request, db))
    return render_template("reception.html", request, values)


Action = Callable[
    [ReceptionStaff, AsyncSession, web.Request, Reception, MultiDictProxy[Any]], Awaitable[None]
]


async def _change(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    plan = _plan_form(form, staff.desk.timezone)
    outcome = await staff.change(db, request[MEMBER], request[SCOPE], r, plan)
    session = await get_session(request)
    flash(session, i18n.gettext("The reception has been changed."))
    _told(session, outcome)


async def _cancel(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    outcome = await staff.cancel(db, request[MEMBER], r, str(form.get("reason", ""))[:500])
    session = await get_session(request)
    flash(session, i18n.gettext("The reception has been cancelled."))
    _told(session, outcome)


async def _check_in(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    signup = await staff.check_in(db, request[MEMBER], r, str(form.get("code", ""))[:16])
    flash(await get_session(request), i18n.gettext("Checked in: {code}.", code=signup.code))


async def _attendance(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    came = {
        duty.deputy_id: form.get(f"came_{duty.deputy_id}") == "yes"
        for duty in r.duties
        if form.get(f"came_{duty.deputy_id}") in ("yes", "no")
    }
    await staff.attendance(db, request[MEMBER], r, came)
    flash(await get_session(request), i18n.gettext("Attendance has been recorded."))


async def _raise(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    text = str(form.get("text", "")).strip()
    if not text:
        raise PlanError("text", N_("Write what the resident raised."))
    key = str(form.get("nonce", ""))[:32] or secrets.token_urlsafe(12)
    code = str(form.get("code", ""))
    if not code:  # someone who came without signing up
        made = await staff.raise_walk_in(db, request[MEMBER], r, text, key)
        message = i18n.gettext(
            "Recorded as opinion or suggestion {number}. Give the person who raised it the "
            "claim code {code}: sending /follow {code} to the bot lets them follow it.",
            number=made.ticket.number,
            code=made.claim_code,
        )
        flash(await get_session(request), message)
        return
    raised = await staff.raise_issue(db, request[MEMBER], r, code, text, key)
    message = i18n.gettext(
        "Recorded as opinion or suggestion {number}; the resident has been told.",
        number=raised.ticket.number,
    )
    flash(await get_session(request), message)


async def _close(
    staff: ReceptionStaff, db: AsyncSession, request: web.Request, r: Reception, form: Any
) -> None:
    asked = await staff.close_record(db, request[MEMBER], r)
    message = i18n.gettext(
        "The record is closed; residents asked to rate the reception: {n}.", n=asked
    )
    flash(await get_session(request), message)


ACTIONS: dict[str, Action] = {
    "change": _change,
    "cancel": _cancel,
    "checkin": _check_in,
    "attendance": _attendance,
    "raise": _raise,
    "close": _close,
}


def action_handler(name: str) -> Handler:
    action = ACTIONS[name]

    async def handle(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        form = await request.post()
        errors: dict[str, str] = {}
        try:
            async with transaction(request) as db:
                reception = await _visible(request, db)
                reception_id = reception.id
                await action(_staff(request), db, request, reception, form)
        except PlanError as error:
            errors[error.field] = i18n.gettext(error.message, **error.values)
        except ReceptionRefused as refused:
            field, message = _refusal(refused)
            errors[field] = message
        if errors and name == "change":  # the form again, each problem next to its field
            async with request.app[SESSIONS]() as db:
                reception = await _visible(request, db)
                values = await _page(request, db, reception, _typed(form), errors)
            response = render_template("reception.html", request, values)
            response.set_status(400)
            return response
        for message in errors.values():
            flash(session, i18n.gettext("Not done: {reason}", reason=message))
        location = request.app.router["reception"].url_for(id=str(reception_id))
        raise web.HTTPSeeOther(location)

    handle.__name__ = f"reception_{name}"
    return handle
