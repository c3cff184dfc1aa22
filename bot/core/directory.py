"""The directory file (YAML): areas, stations, deputy groups, deputies and categories.

Loading is all or nothing: the whole file is validated first, every problem is reported with
its line and key, and only a clean file is written, in one transaction. Entries are matched by
`code`, so loading the same file again changes nothing.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.deadlines import DEFAULT_POLICY
from storage.models import (
    TELEGRAM,
    Area,
    AreaKind,
    CalendarDay,
    Category,
    DeadlinePolicy,
    Deputy,
    DeputyGroup,
    RecipientKind,
    RoutingRule,
    Station,
)
from storage.queries.contacts import set_address

Code = str
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
    telegram_user_id: int | None = None
    groups: list[Code] = []


class CategoryEntry(_Entry):
    pass


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
    routing: list[RoutingEntry] = []
    deadlines: dict[str, DeadlineEntry] = {}  # "default" or a category's code
    calendar: list[CalendarEntry] = []


class DirectoryError(Exception):
    """The file is not a valid directory; `problems` says where and why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        return ", ".join(
            f"{kind}: {self.created.get(kind, 0)} new, {self.updated.get(kind, 0)} changed"
            for kind in kinds
        )


def parse_directory(text: str, source: str = "directory") -> DirectoryFile:
    """Validate the whole file, raising DirectoryError listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else "?"
        raise DirectoryError([f"{source}:{line}: not valid YAML: {error.problem}"]) from error
    if not isinstance(data, dict):
        raise DirectoryError([f"{source}:1: expected a mapping with keys such as 'areas'"])
    try:
        directory = DirectoryFile.model_validate(data)
    except ValidationError as error:
        raise DirectoryError(
            [_where(source, root, e["loc"]) + e["msg"] for e in error.errors()]
        ) from error
    problems = [
        _where(source, root, loc) + message for loc, message in _reference_problems(directory)
    ]
    if problems:
        raise DirectoryError(problems)
    return directory


def _where(source: str, root: yaml.Node | None, loc: Loc) -> str:
    node, found = root, True
    for key in loc:
        child = _child(node, key) if found else None
        if child is None:
            found = False
        else:
            node = child
    line = node.start_mark.line + 1 if node is not None else 1
    return f"{source}:{line}: {_path(loc)}: "


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _path(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _walk_areas(
    areas: list[AreaEntry], loc: Loc = ("areas",), parent: AreaEntry | None = None
) -> Iterator[tuple[Loc, AreaEntry, AreaEntry | None]]:
    for index, area in enumerate(areas):
        yield (*loc, index), area, parent
        yield from _walk_areas(area.children, (*loc, index, "children"), area)


def _reference_problems(directory: DirectoryFile) -> Iterator[tuple[Loc, str]]:
    yield from _supervision_problems(directory)
    area_codes = {area.code for _, area, _ in _walk_areas(directory.areas)}
    yield from _duplicates(((loc, a.code) for loc, a, _ in _walk_areas(directory.areas)), "code")
    for kind in ("stations", "deputy_groups", "deputies", "categories"):
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
            yield ("stations", i, "area"), f"no area has the code '{station.area}'"
    for i, group in enumerate(groups):
        if group.station not in station_codes:
            yield ("deputy_groups", i, "station"), f"no station has the code '{group.station}'"
        for j, code in enumerate(group.areas):
            if code not in area_codes:
                yield ("deputy_groups", i, "areas", j), f"no area has the code '{code}'"
    for i, deputy in enumerate(directory.deputies):
        for j, code in enumerate(deputy.groups):
            if code not in group_codes:
                yield ("deputies", i, "groups", j), f"no deputy group has the code '{code}'"
    category_codes = {c.code for c in directory.categories}
    for i, rule in enumerate(directory.routing):
        if rule.area not in area_codes:
            yield ("routing", i, "area"), f"no area has the code '{rule.area}'"
        if rule.category is not None and rule.category not in category_codes:
            yield ("routing", i, "category"), f"no category has the code '{rule.category}'"
        if rule.group not in group_codes:
            yield ("routing", i, "group"), f"no deputy group has the code '{rule.group}'"
    yield from _duplicates(
        ((("routing", i), (r.area, r.category, r.group)) for i, r in enumerate(directory.routing)),
        "group",
    )


def _duplicates(items: Iterator[tuple[Loc, object]], key: str) -> Iterator[tuple[Loc, str]]:
    seen: set[object] = set()
    for loc, value in items:
        if value in seen:
            yield (*loc, key), f"'{value}' appears more than once"
        seen.add(value)


def read_directory(path: Path) -> DirectoryFile:
    return parse_directory(path.read_text(encoding="utf-8"), source=str(path))


async def load_directory(session: AsyncSession, directory: DirectoryFile) -> LoadReport:
    """Write a validated directory; the caller commits (or rolls back) the session."""
    loader = _Loader(session)
    areas = await loader.existing(Area)
    for position, (_, entry, parent) in enumerate(_walk_areas(directory.areas)):
        await loader.upsert(
            areas,
            entry.code,
            name=entry.name,
            name_en=entry.name_en,
            kind=entry.kind,
            parent_id=areas[parent.code].id if parent else None,
            contact=_Contact(RecipientKind.STAFF_CHAT, entry.staff_chat_id),
            position=position,
        )
    stations = await loader.existing(Station)
    for entry in directory.stations:
        await loader.upsert(
            stations,
            entry.code,
            name=entry.name,
            name_en=entry.name_en,
            area_id=areas[entry.area].id,
            address=entry.address,
        )
    groups = await loader.existing(DeputyGroup)
    for entry in directory.deputy_groups:
        await loader.upsert(
            groups,
            entry.code,
            name=entry.name,
            name_en=entry.name_en,
            station_id=stations[entry.station].id,
            contact=_Contact(RecipientKind.DEPUTY_GROUP, entry.chat_id),
            areas=[areas[code] for code in entry.areas],
            fallback=entry.fallback,
        )
    deputies = await loader.existing(Deputy)
    for entry in directory.deputies:
        await loader.upsert(
            deputies,
            entry.code,
            name=entry.name,
            level=entry.level,
            contact=_Contact(RecipientKind.DEPUTY, entry.telegram_user_id),
            groups=[groups[code] for code in entry.groups],
        )
    categories = await loader.existing(Category)
    for entry in directory.categories:
        await loader.upsert(categories, entry.code, name=entry.name, name_en=entry.name_en)
    for known in (areas, stations, groups, deputies, categories):
        loader.deactivate_the_rest(known)
    await _load_routing(session, loader, directory.routing, areas, categories, groups)
    await _load_deadlines(session, loader, directory.deadlines, categories)
    await _load_calendar(session, loader, directory.calendar)
    await session.flush()
    return loader.report


async def _load_routing(
    session: AsyncSession,
    loader: "_Loader",
    entries: list[RoutingEntry],
    areas: "_Known",
    categories: "_Known",
    groups: "_Known",
) -> None:
    """The file's routing rules replace the stored ones; only a real change is counted."""
    wanted = {
        (areas[e.area].id, categories[e.category].id if e.category else None, groups[e.group].id): i
        for i, e in enumerate(entries)
    }
    stored = {
        (r.area_id, r.category_id, r.group_id): r
        for r in await session.scalars(select(RoutingRule))
    }
    for key, rule in stored.items():
        if key not in wanted:
            await session.delete(rule)
            loader.count("routing_rules", "updated")
        elif rule.position != wanted[key]:
            rule.position = wanted[key]
    for key, position in wanted.items():
        if key not in stored:
            area_id, category_id, group_id = key
            session.add(
                RoutingRule(
                    area_id=area_id, category_id=category_id, group_id=group_id, position=position
                )
            )
            loader.count("routing_rules", "created")


def _supervision_problems(directory: DirectoryFile) -> Iterator[tuple[Loc, str]]:
    """Deadlines name the default or a category; staff chats belong to streets and are no
    deputy group's chat; a calendar day appears once."""
    category_codes = {c.code for c in directory.categories}
    for key in directory.deadlines:
        if key != "default" and key not in category_codes:
            yield ("deadlines", key), f"'{key}' is neither 'default' nor a category's code"
    group_chats = {g.chat_id for g in directory.deputy_groups if g.chat_id}
    for loc, area, _ in _walk_areas(directory.areas):
        if area.staff_chat_id is None:
            continue
        if area.kind != AreaKind.STREET:
            yield (*loc, "staff_chat_id"), "only a street (街道/乡镇) has a staff chat"
        if area.staff_chat_id in group_chats:
            yield (*loc, "staff_chat_id"), "this chat is a deputy group's chat"
    yield from _duplicates(
        ((("calendar", i), entry.day) for i, entry in enumerate(directory.calendar)), "day"
    )


async def _load_deadlines(
    session: AsyncSession,
    loader: "_Loader",
    entries: dict[str, DeadlineEntry],
    categories: "_Known",
) -> None:
    """The file's deadlines replace the stored policies; a category's entry is completed from
    the default entry, then from the code's defaults."""
    fields = ("acknowledge_days", "answer_days", "reopen_answer_days", "extension_max_days")
    default = entries.get("default", DeadlineEntry())

    def value(entry: DeadlineEntry, name: str) -> int:
        given = (getattr(entry, name), getattr(default, name), getattr(DEFAULT_POLICY, name))
        return next(v for v in given if v is not None)

    wanted = {
        (None if key == "default" else categories[key].id): {n: value(e, n) for n in fields}
        for key, e in entries.items()
    }
    stored = {row.category_id: row for row in await session.scalars(select(DeadlinePolicy))}
    for category_id, row in stored.items():
        if category_id not in wanted:
            await session.delete(row)
            loader.count("deadline_policies", "updated")
    for category_id, values in wanted.items():
        row = stored.get(category_id)
        if row is None:
            session.add(DeadlinePolicy(category_id=category_id, **values))
            loader.count("deadline_policies", "created")
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            loader.count("deadline_policies", "updated")


async def _load_calendar(
    session: AsyncSession, loader: "_Loader", entries: list[CalendarEntry]
) -> None:
    """The file's calendar days replace the stored ones."""
    wanted = {entry.day: entry for entry in entries}
    stored = {row.day: row for row in await session.scalars(select(CalendarDay))}
    for day, row in stored.items():
        if day not in wanted:
            await session.delete(row)
            loader.count("calendar_days", "updated")
    for day, entry in wanted.items():
        row = stored.get(day)
        if row is None:
            session.add(CalendarDay(day=day, workday=entry.workday, note=entry.note))
            loader.count("calendar_days", "created")
        elif (row.workday, row.note) != (entry.workday, entry.note):
            row.workday, row.note = entry.workday, entry.note
            loader.count("calendar_days", "updated")


class _Loader:
    """Creates or updates rows by code, counting what really changed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.report = LoadReport()

    def count(self, kind: str, how: str) -> None:
        tally = self.report.created if how == "created" else self.report.updated
        tally[kind] = tally.get(kind, 0) + 1

    def deactivate_the_rest(self, known: "_Known") -> None:
        """Entries the file no longer names stay, inactive: history keeps their names, and
        they receive no new tickets."""
        for code, row in known.rows.items():
            if code not in known.seen and row.active:
                row.active = False
                self.count(known.model.__tablename__, "updated")

    async def existing(self, model: type[Any]) -> "_Known":
        rows = await self.session.scalars(select(model).execution_options(populate_existing=True))
        return _Known(model, {row.code: row for row in rows})

    async def upsert(
        self, known: "_Known", code: str, contact: "_Contact | None" = None, **values: Any
    ) -> Any:
        kind = known.model.__tablename__
        known.seen.add(code)
        values["active"] = True
        row = known.rows.get(code)
        if row is None:
            row = known.model(code=code, **values)
            self.session.add(row)
            await self.session.flush()
            known.rows[code] = row
            self.report.created[kind] = self.report.created.get(kind, 0) + 1
            if contact is not None:
                await set_address(self.session, contact.kind, row.id, TELEGRAM, contact.value)
            return row
        relations = {k for k, v in values.items() if isinstance(v, list)}
        if relations:
            await self.session.refresh(row, attribute_names=list(relations))
        changed = False
        for key, value in values.items():
            current = getattr(row, key)
            same = (
                {r.id for r in current} == {r.id for r in value}
                if key in relations
                else current == value
            )
            if not same:
                setattr(row, key, value)
                changed = True
        if contact is not None:
            moved = await set_address(self.session, contact.kind, row.id, TELEGRAM, contact.value)
            changed = changed or moved
        if changed:
            self.report.updated[kind] = self.report.updated.get(kind, 0) + 1
        return row


@dataclass(frozen=True)
class _Contact:
    """A row's Telegram address as the file gives it (chat id or user id), if any."""

    kind: RecipientKind
    number: int | None

    @property
    def value(self) -> str | None:
        return None if self.number is None else str(self.number)


@dataclass
class _Known:
    model: type[Any]
    rows: dict[str, Any]
    seen: set[str] = field(default_factory=set)

    def __getitem__(self, code: str) -> Any:
        return self.rows[code]
