"""The directory as staff edit it in the panel: the stored directory is written out as the
directory file would say it (`stored_directory`), an edit changes that file's data, and the
result passes the same checks (`check_directory`) and the same loader (`load_directory`) as
`python -m bot load-directory`. A refused edit changes nothing and says where; every edit
that is made goes into the audit log with the entry before and after."""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.core.binding import issue_bind_code
from bot.core.directory.file import Loc, Problem, check_directory, parse_directory
from bot.core.directory.loader import LoadReport, load_directory
from bot.core.directory.receptions import ScheduleReport, schedule_receptions
from bot.core.receptions import ReceptionDesk
from bot.core.scope import Scope
from bot.text.catalogs import N_
from storage.models import (
    TELEGRAM,
    Area,
    CalendarDay,
    Category,
    Contact,
    DeadlinePolicy,
    Department,
    Deputy,
    DeputyGroup,
    RecipientKind,
    RoutingRule,
    StaffMember,
    Station,
)

# The sections of the file an entry of the panel belongs to; coded ones are keyed by code.
CODED = ("areas", "stations", "deputy_groups", "deputies", "categories", "departments")
SECTIONS = (*CODED, "routing", "deadlines", "calendar")
Data = dict[str, Any]


@dataclass
class Refused(Exception):
    """The edit was not made; each problem names its field (`field_of`) where it has one."""

    problems: list[Problem]
    entry: Loc = ()

    def field_of(self, problem: Problem) -> str | None:
        """The form field a problem belongs to ("" for the entry as a whole), or None."""
        loc = problem.loc
        if not self.entry and len(loc) == 1:  # a problem the form found in one of its fields
            return str(loc[0])
        if loc[: len(self.entry)] == self.entry and self.entry:
            rest = loc[len(self.entry) :]
            return str(rest[0]) if rest else ""
        if len(loc) == 2 and loc[0] == "boundaries":
            return "boundary"
        return None


class NotFound(Exception):
    """No entry of that section has that key."""


async def _contacts(session: AsyncSession, kind: RecipientKind) -> dict[int, int]:
    rows = await session.execute(
        select(Contact.recipient_id, Contact.address).where(
            Contact.recipient_kind == kind, Contact.channel == TELEGRAM
        )
    )
    return {recipient: int(address) for recipient, address in rows if address.lstrip("-").isdigit()}


def _named(row: Any, **more: Any) -> Data:
    entry = {"code": row.code, "name": row.name}
    if getattr(row, "name_en", None):
        entry["name_en"] = row.name_en
    return entry | {key: value for key, value in more.items() if value not in (None, [], False)}


async def stored_directory(session: AsyncSession) -> Data:
    """The active entries of the stored directory as the directory file's data (receptions
    apart: they are scheduled, and managed on the reception pages)."""
    areas = list(await session.scalars(select(Area).where(Area.active).order_by(Area.position)))
    staff_chats = await _contacts(session, RecipientKind.STAFF_CHAT)
    by_id = {area.id: area for area in areas}
    nodes = {
        area.id: _named(area, kind=area.kind.value, staff_chat_id=staff_chats.get(area.id))
        for area in areas
    }
    roots: list[Data] = []
    for area in areas:
        parent = nodes.get(area.parent_id) if area.parent_id is not None else None
        (parent.setdefault("children", []) if parent else roots).append(nodes[area.id])
    stations = list(
        await session.scalars(select(Station).where(Station.active).order_by(Station.id))
    )
    station_codes = {station.id: station.code for station in stations}
    group_chats = await _contacts(session, RecipientKind.DEPUTY_GROUP)
    groups = list(
        await session.scalars(
            select(DeputyGroup).where(DeputyGroup.active).order_by(DeputyGroup.id)
        )
    )
    deputies = list(await session.scalars(select(Deputy).where(Deputy.active).order_by(Deputy.id)))
    deputy_accounts = await _contacts(session, RecipientKind.DEPUTY)
    for row in (*groups, *deputies):
        await session.refresh(row, attribute_names=["areas" if row in groups else "groups"])
    categories = {
        row.id: row
        for row in await session.scalars(
            select(Category).where(Category.active).order_by(Category.id)
        )
    }
    group_codes = {group.id: group.code for group in groups}
    area_codes = {area.id: area.code for area in areas}
    rules = await session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    )
    policies = await session.scalars(select(DeadlinePolicy).order_by(DeadlinePolicy.id))
    days = await session.scalars(select(CalendarDay).order_by(CalendarDay.day))
    departments = await session.scalars(
        select(Department).where(Department.active).order_by(Department.id)
    )
    return {
        "areas": roots,
        "stations": [
            _named(s, area=by_id[s.area_id].code, address=s.address)
            for s in stations
            if s.area_id in by_id
        ],
        "deputy_groups": [
            _named(
                g,
                station=station_codes.get(g.station_id),
                chat_id=group_chats.get(g.id),
                areas=[a.code for a in g.areas if a.active],
                fallback=g.fallback,
            )
            for g in groups
        ],
        "deputies": [
            {"code": d.code, "name": d.name}
            | {
                key: value
                for key, value in (
                    ("level", d.level),
                    ("public_profile", d.public_profile),
                    ("telegram_user_id", deputy_accounts.get(d.id)),
                    ("groups", [g.code for g in d.groups if g.active]),
                )
                if value
            }
            for d in deputies
        ],
        "categories": [_named(c) for c in categories.values()],
        "departments": [_named(d) for d in departments],
        "routing": [
            {"area": area_codes[r.area_id], "group": group_codes[r.group_id]}
            | ({"category": categories[r.category_id].code} if r.category_id else {})
            for r in rules
            if r.area_id in area_codes
            and r.group_id in group_codes
            and (r.category_id is None or r.category_id in categories)
        ],
        "deadlines": {
            (categories[p.category_id].code if p.category_id else "default"): {
                "acknowledge_days": p.acknowledge_days,
                "answer_days": p.answer_days,
                "reopen_answer_days": p.reopen_answer_days,
                "extension_max_days": p.extension_max_days,
            }
            for p in policies
            if p.category_id is None or p.category_id in categories
        },
        "calendar": [
            {"day": d.day, "workday": d.workday} | ({"note": d.note} if d.note else {})
            for d in days
        ],
        "boundaries": {area.code: area.boundary for area in areas if area.boundary},
    }


def rows(data: Data, section: str) -> list[tuple[str, Data]]:
    """A section's entries with their keys, as the panel lists them (areas as a tree, each
    with its `depth` and `parent`)."""
    if section == "areas":
        return [(area["code"], area) for area in _tree(data["areas"], 0, None)]
    if section == "deadlines":
        return [(key, {"key": key} | values) for key, values in data["deadlines"].items()]
    if section == "routing":
        return [(str(index), rule) for index, rule in enumerate(data["routing"])]
    field = "day" if section == "calendar" else "code"
    return [(str(entry[field]), entry) for entry in data[section]]


def _tree(areas: list[Data], depth: int, parent: str | None) -> list[Data]:
    found = []
    for area in areas:
        found.append(
            {k: v for k, v in area.items() if k != "children"} | {"depth": depth, "parent": parent}
        )
        found.extend(_tree(area.get("children", []), depth + 1, area["code"]))
    return found


def export_yaml(data: Data) -> str:
    """The directory file's text, as `load-directory` reads it."""
    header = (
        "# The liaison stations' directory, exported from the staff panel. Load it with\n"
        "# `python -m bot load-directory FILE` or the panel's import; receptions are managed\n"
        "# on the panel's reception pages (a `receptions:` section added here is scheduled).\n"
    )
    body = yaml.safe_dump(
        {key: value for key, value in data.items() if value},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    return header + body


# --- editing ---------------------------------------------------------------------------------


def _area_slot(areas: list[Data], code: str) -> tuple[list[Data], int] | None:
    for index, area in enumerate(areas):
        if area["code"] == code:
            return areas, index
        found = _area_slot(area.get("children", []), code)
        if found:
            return found
    return None


def _area_loc(areas: list[Data], code: str, loc: Loc = ("areas",)) -> Loc:
    for index, area in enumerate(areas):
        if area["code"] == code:
            return (*loc, index)
        inner = _area_loc(area.get("children", []), code, (*loc, index, "children"))
        if inner:
            return inner
    return ()


def _slot(data: Data, section: str, key: str) -> tuple[Any, Any]:
    """Where the entry `key` of the section is: (its container, its index or key)."""
    if section == "areas":
        found = _area_slot(data["areas"], key)
        if found is None:
            raise NotFound(key)
        return found
    if section == "deadlines":
        if key not in data["deadlines"]:
            raise NotFound(key)
        return data["deadlines"], key
    entries = data[section]
    if section == "routing":
        index = int(key) if key.isdigit() else -1
        if not 0 <= index < len(entries):
            raise NotFound(key)
        return entries, index
    field = "day" if section == "calendar" else "code"
    for index, entry in enumerate(entries):
        if str(entry[field]) == key:
            return entries, index
    raise NotFound(key)


def _entry_loc(data: Data, section: str, key: str) -> Loc:
    if section == "areas":
        return _area_loc(data["areas"], key)
    if section == "deadlines":
        return ("deadlines", key)
    return (section, _slot(data, section, key)[1])


def _key_of(section: str, entry: Data, given: str | None) -> str:
    if section in CODED:
        return str(entry.get("code", ""))
    if section == "calendar":
        return str(entry.get("day", ""))
    return given or ""


def _put(data: Data, section: str, key: str | None, entry: Data) -> str:
    """Put the entry in the data (new, or in place of `key`); its key afterwards."""
    if section == "areas":
        return _put_area(data, key, entry)
    if section == "deadlines":
        name = str(entry.pop("key", key or ""))
        data["deadlines"][name] = entry
        return name
    entries = data[section]
    if section == "routing":
        if key is None:
            entries.append(entry)
            return str(len(entries) - 1)
        container, index = _slot(data, section, key)
        container[index] = entry
        return key
    if section == "calendar":  # a day is saved anew: its earlier entry is replaced
        day = str(entry.setdefault("day", key or ""))
        data[section] = [e for e in entries if str(e["day"]) != day and str(e["day"]) != key]
        data[section].append(entry)
        return day
    if key is None:
        entries.append(entry)
    else:
        container, index = _slot(data, section, key)
        container[index] = entry | {"code": key}
    return _key_of(section, entry, key) if key is None else key


def _put_area(data: Data, key: str | None, entry: Data) -> str:
    parent = entry.pop("parent", None) or None
    boundary = entry.pop("boundary", None)
    code = key or str(entry.get("code", ""))
    children: list[Data] = []
    if key is not None:
        container, index = _slot(data, "areas", key)
        children = container.pop(index).get("children", [])
        entry["code"] = key
    if children:
        entry["children"] = children
    if parent is None:
        data["areas"].append(entry)
    else:
        found = _area_slot(data["areas"], parent)
        if found is None or _area_slot(children, parent):
            data["areas"].append(entry)  # the checker names the parent below
            return code
        container, index = found
        container[index].setdefault("children", []).append(entry)
    if boundary:
        data["boundaries"][code] = boundary
    else:
        data["boundaries"].pop(code, None)
    return code


async def _apply(
    session: AsyncSession,
    by: StaffMember,
    now: datetime,
    action: str,
    target: str,
    before: Any,
    after: Any,
    data: Data,
    entry: Loc,
    extra: list[Problem] | None = None,
) -> LoadReport:
    directory, problems = check_directory(data)
    problems = (extra or []) + problems
    if directory is None or problems:
        raise Refused(problems, entry)
    report = await load_directory(session, directory)
    audit.record(session, by, action, target, now, _json(before), _json(after))
    return report


def _json(value: Any) -> dict[str, Any] | None:
    return None if value is None else json.loads(json.dumps(value, default=str))


def entry_of(data: Data, section: str, key: str) -> Data:
    """An entry of the data, as the panel's form shows it (an area with its parent and
    boundary, without its children)."""
    container, index = _slot(data, section, key)
    entry = dict(container[index])
    if section == "areas":
        entry.pop("children", None)
        parent = next(
            (a for a in _walk(data["areas"]) if key in {c["code"] for c in a.get("children", [])}),
            None,
        )
        entry["parent"] = parent["code"] if parent else None
        entry["boundary"] = data["boundaries"].get(key)
    if section == "deadlines":
        entry = {"key": key} | entry
    return entry


def _walk(areas: list[Data]) -> list[Data]:
    return [a for area in areas for a in (area, *_walk(area.get("children", [])))]


async def save_entry(
    session: AsyncSession,
    by: StaffMember,
    now: datetime,
    section: str,
    key: str | None,
    entry: Data,
) -> str:
    """Add an entry to a section (`key` None) or change one; its key. Raises Refused."""
    data = await _held_directory(session)
    before = entry_of(data, section, key) if key is not None else None
    if key is None and section in CODED and _exists(data, section, str(entry.get("code", ""))):
        code = str(entry.get("code", ""))
        problem = Problem(
            (section, -1, "code"), N_("'{value}' appears more than once"), {"value": code}
        )
        raise Refused([problem], (section, -1))
    if section == "deadlines" and key is None and entry.get("key") in data["deadlines"]:
        key = str(entry["key"])
        before = entry_of(data, section, key)
    if section == "deadlines" and key is None:
        problem = _deadline_key_problem(data, str(entry.get("key", "")))
        if problem:
            raise Refused([problem], ("deadlines", str(entry.get("key", ""))))
    saved = _put(data, section, key, dict(entry))
    loc = _entry_loc(data, section, saved) if saved else ()
    after = entry_of(data, section, saved) if loc else entry
    await _apply(
        session,
        by,
        now,
        f"directory.{section}.save",
        f"{section}:{saved}",
        before,
        after,
        data,
        loc,
    )
    return saved


async def _held_directory(session: AsyncSession) -> Data:
    """The stored directory, its areas' rows held until the commit (PostgreSQL): an edit is
    written over the directory it read, so two edits at once take turns rather than one
    loading the other's entry as it was before."""
    await session.execute(select(Area.id).with_for_update())
    return await stored_directory(session)


def _exists(data: Data, section: str, key: str) -> bool:
    try:
        _slot(data, section, key)
    except NotFound:
        return False
    return True


def _deadline_key_problem(data: Data, key: str) -> Problem | None:
    codes = {c["code"] for c in data["categories"]}
    if key == "default" or key in codes:
        return None
    message = N_("'{key}' is neither 'default' nor a category's code")
    return Problem(("deadlines", key, "key"), message, {"key": key})


async def remove_entry(
    session: AsyncSession, by: StaffMember, now: datetime, section: str, key: str
) -> None:
    """Take an entry out of the directory: a coded entry stays, inactive (history keeps its
    name); a routing rule, a deadline or a calendar day is deleted. An entry others still name
    is refused, naming them."""
    data = await _held_directory(session)
    before = entry_of(data, section, key)
    container, index = _slot(data, section, key)
    extra = []
    if section == "areas" and container[index].get("children"):
        extra.append(Problem((), N_("remove the areas within it first")))
    if section == "areas":
        data["boundaries"].pop(key, None)
    del container[index]
    await _apply(
        session,
        by,
        now,
        f"directory.{section}.remove",
        f"{section}:{key}",
        before,
        None,
        data,
        (),
        extra,
    )


async def import_file(
    session: AsyncSession, by: StaffMember, desk: ReceptionDesk, text: str, source: str
) -> tuple[LoadReport, ScheduleReport]:
    """Load a whole directory file as `load-directory` does (DirectoryError if it is broken:
    nothing is changed); recorded in the audit log with what changed."""
    # Megabytes of boundaries take seconds to read: not on the loop the panel (and the bot)
    # answer on.
    directory = await asyncio.to_thread(parse_directory, text, source)
    report = await load_directory(session, directory)
    receptions = await schedule_receptions(session, desk, directory.receptions)
    summary = {"created": report.created, "updated": report.updated}
    audit.record(
        session,
        by,
        "directory.import",
        source[:100],
        desk.clock.now(),
        None,
        summary | {"receptions": receptions.scheduled},
    )
    return report, receptions


async def bind_code_for(
    session: AsyncSession, by: StaffMember, scope: Scope, code: str, now: datetime
) -> tuple[DeputyGroup, str]:
    """A new bind code for an active deputy group within the staff member's scope (shown
    once; the audit log records that one was issued, never the code)."""
    group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == code))
    if group is None or not group.active:
        raise NotFound(code)
    if not scope.everything and group.station_id not in scope.station_ids:
        raise NotFound(code)
    issued = await issue_bind_code(session, group, now)
    audit.record(
        session, by, "directory.deputy_groups.bind_code", f"deputy_groups:{code}", now, None, None
    )
    return group, issued
