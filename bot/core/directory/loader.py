"""Loading a validated directory: all or nothing, in the caller's transaction. Entries are
matched by `code`, so loading the same file again changes nothing; entries the file no longer
names are deactivated, not deleted."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.deadlines import DEFAULT_POLICY
from bot.core.directory.file import (
    CalendarEntry,
    DeadlineEntry,
    DirectoryFile,
    RoutingEntry,
    walk_areas,
)
from storage.models import (
    TELEGRAM,
    Area,
    CalendarDay,
    Category,
    DeadlinePolicy,
    Department,
    Deputy,
    DeputyGroup,
    RecipientKind,
    RoutingRule,
    Station,
)
from storage.queries.contacts import set_address


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


async def load_directory(session: AsyncSession, directory: DirectoryFile) -> LoadReport:
    """Write a validated directory; the caller commits (or rolls back) the session."""
    loader = _Loader(session)
    areas = await loader.existing(Area)
    for position, (_, entry, parent) in enumerate(walk_areas(directory.areas)):
        await loader.upsert(
            areas,
            entry.code,
            name=entry.name,
            name_en=entry.name_en,
            kind=entry.kind,
            parent_id=areas[parent.code].id if parent else None,
            contact=_Contact(RecipientKind.STAFF_CHAT, entry.staff_chat_id),
            position=position,
            boundary=directory.boundaries.get(entry.code),
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
            # Without a chat id in the file, the chat bound with `/bind` stays.
            contact=_Contact(RecipientKind.DEPUTY_GROUP, entry.chat_id)
            if entry.chat_id is not None
            else None,
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
            public_profile=entry.public_profile,
            contact=_Contact(RecipientKind.DEPUTY, entry.telegram_user_id),
            groups=[groups[code] for code in entry.groups],
        )
    categories = await loader.existing(Category)
    for entry in directory.categories:
        await loader.upsert(categories, entry.code, name=entry.name, name_en=entry.name_en)
    departments = await loader.existing(Department)
    for entry in directory.departments:
        await loader.upsert(departments, entry.code, name=entry.name, name_en=entry.name_en)
    for known in (areas, stations, groups, deputies, categories, departments):
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
