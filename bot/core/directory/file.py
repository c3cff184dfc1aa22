"""The directory file (YAML): its entries (areas, stations, deputy groups, deputies,
categories, routing rules, deadlines, calendar days) and their validation. The whole file is
checked first and every problem is reported with its line and key."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.directory.boundaries import boundary_problems
from bot.core.directory.receptions import ReceptionEntry, reception_problems
from bot.text.catalogs import N_
from storage.models import AreaKind

Code = str
# libyaml's parser where PyYAML has it: a city's file with boundaries (megabytes) is read in
# seconds, not a minute. One pass keeps the nodes (for the lines of problems) and the data.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Loc = tuple[str | int, ...]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = None


class AreaEntry(_Entry):
    kind: AreaKind
    children: list["AreaEntry"] = []
    staff_chat_id: int | None = None  # a street's staff chat: overdue tickets are reported there


class StationEntry(_Entry):
    area: Code
    address: str | None = None


class DeputyGroupEntry(_Entry):
    station: Code
    chat_id: int | None = None
    areas: list[Code] = []
    fallback: bool = False  # takes what no rule sends elsewhere in its station's area


class DeputyEntry(_Entry):
    level: str | None = None
    # What the deputy agreed to publish (五公开), shown as given on the public page.
    public_profile: str | None = Field(default=None, max_length=300)
    telegram_user_id: int | None = None
    groups: list[Code] = []


class CategoryEntry(_Entry):
    pass


class DepartmentEntry(_Entry):
    """A department (职能部门) deputies can forward a ticket to (转交部门)."""


class RoutingEntry(BaseModel):
    """Tickets from `area` (and below), of `category` if named, go to `group`."""

    model_config = ConfigDict(extra="forbid")

    area: Code
    category: Code | None = None
    group: Code


class DeadlineEntry(BaseModel):
    """Deadlines in working days (限时办理), for one category or the default; a value left out
    is the default's (the file's, else the code's, see `bot.core.deadlines.Policy`)."""

    model_config = ConfigDict(extra="forbid")

    acknowledge_days: int | None = Field(default=None, ge=1, le=60)
    answer_days: int | None = Field(default=None, ge=1, le=250)
    reopen_answer_days: int | None = Field(default=None, ge=1, le=250)
    extension_max_days: int | None = Field(default=None, ge=1, le=366)  # calendar days


class CalendarEntry(BaseModel):
    """A day that departs from the official calendar: a station's own closure, or the
    holidays and make-up working days (调休) of a year the calendar package does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date
    workday: bool
    note: str | None = Field(default=None, max_length=200)


class DirectoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    areas: list[AreaEntry] = []
    stations: list[StationEntry] = []
    deputy_groups: list[DeputyGroupEntry] = []
    deputies: list[DeputyEntry] = []
    categories: list[CategoryEntry] = []
    departments: list[DepartmentEntry] = []
    routing: list[RoutingEntry] = []
    deadlines: dict[str, DeadlineEntry] = {}  # "default" or a category's code
    calendar: list[CalendarEntry] = []
    # An area's code → its boundary, a GeoJSON Polygon or MultiPolygon (longitude, latitude)
    boundaries: dict[str, dict[str, Any]] = {}
    receptions: list[ReceptionEntry] = []  # regular schedules and single receptions


@dataclass(frozen=True)
class Problem:
    """One problem of a directory: where (`loc`, and its `line` in a file), and why, as a
    message for the catalogs with its values (`text` renders it, in a language or in English)."""

    loc: Loc
    message: str
    values: Mapping[str, object] = field(default_factory=dict)
    line: int | None = None

    @property
    def path(self) -> str:
        return _path(self.loc)

    def text(self, gettext: Callable[[str], str] = str) -> str:
        return gettext(self.message).format(**self.values) if self.values else gettext(self.message)


class DirectoryError(Exception):
    """The file is not a valid directory; `problems` says where and why, one line each (in
    English, for the command line); `found` holds them for a translated list."""

    def __init__(self, found: Sequence[Problem], source: str = "directory") -> None:
        self.found = list(found)
        self.problems = [
            f"{source}:{p.line or 1}: " + (f"{p.path}: " if p.loc else "") + p.text()
            for p in self.found
        ]
        super().__init__("\n".join(self.problems))


# Pydantic's reasons, as the catalogs know them (others keep pydantic's English words).
REASONS = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("not a key of this entry"),
    "string_too_short": N_("cannot be empty"),
    "string_too_long": N_("at most {max_length} characters"),
    "string_pattern_mismatch": N_("only letters, digits and _ . - are allowed"),
    "string_type": N_("a text is needed"),
    "int_parsing": N_("a whole number is needed"),
    "int_type": N_("a whole number is needed"),
    "int_from_float": N_("a whole number is needed"),
    "greater_than_equal": N_("at least {ge}"),
    "less_than_equal": N_("at most {le}"),
    "bool_parsing": N_("true or false"),
    "bool_type": N_("true or false"),
    "date_parsing": N_("a date such as 2026-12-31 is needed"),
    "date_from_datetime_parsing": N_("a date such as 2026-12-31 is needed"),
    "date_type": N_("a date such as 2026-12-31 is needed"),
    "time_parsing": N_("a time such as 19:00 is needed"),
    "time_type": N_("a time such as 19:00 is needed"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "list_type": N_("a list is needed"),
    "dict_type": N_("a mapping is needed"),
    "model_type": N_("a mapping is needed"),
}


def check_directory(data: object) -> tuple[DirectoryFile | None, list[Problem]]:
    """Validate a directory given as plain data (a parsed file, or the panel's edit of the
    stored one): the directory, or every problem found (without lines)."""
    if not isinstance(data, dict):
        return None, [Problem((), N_("expected a mapping with keys such as 'areas'"))]
    try:
        directory = DirectoryFile.model_validate(data)
    except ValidationError as error:
        return None, [_reason(e) for e in error.errors()]
    problems = [
        Problem(loc, message, values) for loc, message, values in _reference_problems(directory)
    ]
    return (None, problems) if problems else (directory, [])


def _reason(error: Any) -> Problem:
    message = REASONS.get(error["type"])
    if message is None:
        return Problem(tuple(error["loc"]), error["msg"])
    return Problem(tuple(error["loc"]), message, dict(error.get("ctx") or {}))


def parse_directory(text: str, source: str = "directory") -> DirectoryFile:
    """Validate the whole file, raising DirectoryError listing every problem with its line."""
    loader = LOADER(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = Problem(
            (),
            N_("not valid YAML: {problem}"),
            {"problem": error.problem},
            mark.line + 1 if mark else None,
        )
        raise DirectoryError([problem], source) from error
    finally:
        loader.dispose()
    directory, problems = check_directory(data)
    if directory is None:
        raise DirectoryError([replace(p, line=_line(root, p.loc)) for p in problems], source)
    return directory


def _line(root: yaml.Node | None, loc: Loc) -> int:
    node, found = root, True
    for key in loc:
        child = _child(node, key) if found else None
        if child is None:
            found = False
        else:
            node = child
    return node.start_mark.line + 1 if node is not None else 1


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _path(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def walk_areas(
    areas: list[AreaEntry], loc: Loc = ("areas",), parent: AreaEntry | None = None
) -> Iterator[tuple[Loc, AreaEntry, AreaEntry | None]]:
    for index, area in enumerate(areas):
        yield (*loc, index), area, parent
        yield from walk_areas(area.children, (*loc, index, "children"), area)


Found = Iterator[tuple[Loc, str, dict[str, object]]]
NO_AREA = N_("no area has the code '{code}'")
NO_STATION = N_("no station has the code '{code}'")
NO_GROUP = N_("no deputy group has the code '{code}'")


def _reference_problems(directory: DirectoryFile) -> Found:
    yield from _supervision_problems(directory)
    area_codes = {area.code for _, area, _ in walk_areas(directory.areas)}
    yield from boundary_problems(directory.boundaries, area_codes)
    yield from _duplicates(((loc, a.code) for loc, a, _ in walk_areas(directory.areas)), "code")
    for kind in ("stations", "deputy_groups", "deputies", "categories", "departments"):
        entries = getattr(directory, kind)
        yield from _duplicates((((kind, i), e.code) for i, e in enumerate(entries)), "code")
    groups = directory.deputy_groups
    yield from _duplicates(
        (((("deputy_groups", i), g.chat_id) for i, g in enumerate(groups) if g.chat_id)),
        "chat_id",
    )
    yield from _duplicates(
        (
            (("deputies", i), d.telegram_user_id)
            for i, d in enumerate(directory.deputies)
            if d.telegram_user_id
        ),
        "telegram_user_id",
    )
    station_codes = {s.code for s in directory.stations}
    group_codes = {g.code for g in groups}
    for i, station in enumerate(directory.stations):
        if station.area not in area_codes:
            yield ("stations", i, "area"), NO_AREA, {"code": station.area}
    for i, group in enumerate(groups):
        if group.station not in station_codes:
            yield ("deputy_groups", i, "station"), NO_STATION, {"code": group.station}
        for j, code in enumerate(group.areas):
            if code not in area_codes:
                yield ("deputy_groups", i, "areas", j), NO_AREA, {"code": code}
    for i, deputy in enumerate(directory.deputies):
        for j, code in enumerate(deputy.groups):
            if code not in group_codes:
                yield ("deputies", i, "groups", j), NO_GROUP, {"code": code}
    category_codes = {c.code for c in directory.categories}
    for i, rule in enumerate(directory.routing):
        if rule.area not in area_codes:
            yield ("routing", i, "area"), NO_AREA, {"code": rule.area}
        if rule.category is not None and rule.category not in category_codes:
            yield (
                ("routing", i, "category"),
                N_("no category has the code '{code}'"),
                {"code": rule.category},
            )
        if rule.group not in group_codes:
            yield ("routing", i, "group"), NO_GROUP, {"code": rule.group}
    yield from _duplicates(
        ((("routing", i), (r.area, r.category, r.group)) for i, r in enumerate(directory.routing)),
        "group",
    )
    yield from reception_problems(
        directory.receptions,
        {s.code: None for s in directory.stations},
        {g.code: g.station for g in groups},
        {d.code for d in directory.deputies},
    )


def _duplicates(items: Iterator[tuple[Loc, object]], key: str) -> Found:
    seen: set[object] = set()
    for loc, value in items:
        if value in seen:
            yield (*loc, key), N_("'{value}' appears more than once"), {"value": value}
        seen.add(value)


def read_directory(path: Path) -> DirectoryFile:
    return parse_directory(path.read_text(encoding="utf-8"), source=str(path))


def _supervision_problems(directory: DirectoryFile) -> Found:
    """Deadlines name the default or a category; staff chats belong to streets and are no
    deputy group's chat; a calendar day appears once."""
    category_codes = {c.code for c in directory.categories}
    for key in directory.deadlines:
        if key != "default" and key not in category_codes:
            message = N_("'{key}' is neither 'default' nor a category's code")
            yield ("deadlines", key), message, {"key": key}
    group_chats = {g.chat_id for g in directory.deputy_groups if g.chat_id}
    for loc, area, _ in walk_areas(directory.areas):
        if area.staff_chat_id is None:
            continue
        if area.kind != AreaKind.STREET:
            yield (*loc, "staff_chat_id"), N_("only a street (街道/乡镇) has a staff chat"), {}
        if area.staff_chat_id in group_chats:
            yield (*loc, "staff_chat_id"), N_("this chat is a deputy group's chat"), {}
    yield from _duplicates(
        ((("calendar", i), entry.day) for i, entry in enumerate(directory.calendar)), "day"
    )
