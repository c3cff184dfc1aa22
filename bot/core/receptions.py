"""Receptions (接待): staff schedule, change and cancel them, with the checks the rules ask
for; everyone signed up and subscribed hears of it through the outbox, and a change with less
than three days' notice is allowed but flagged to staff. The command line uses this now, the
staff panel later; sign-ups are in `bot.core.reception_signups`."""

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.reception_messages import ReceptionMessages
from bot.text import receptions as words
from bot.text.catalogs import LOCALES, Catalogs
from storage.models import (
    Deputy,
    DeputyGroup,
    Reception,
    ReceptionChange,
    ReceptionDuty,
    ReceptionKind,
    ReceptionSignup,
    ReceptionStatus,
    SignupStatus,
    Station,
)
from storage.queries.areas import area_path

NOTICE = timedelta(days=3)  # changes are to be announced at least three days ahead


class Refusal(enum.StrEnum):
    """Why a reception, a sign-up or a check-in was refused; nothing was changed."""

    IN_THE_PAST = "in_the_past"
    ENDS_BEFORE_START = "ends_before_start"
    NO_CAPACITY = "no_capacity"
    NO_PLACE = "no_place"
    DEPUTY_BUSY = "deputy_busy"
    CANCELLED = "cancelled"
    STARTED = "started"
    ALREADY_SIGNED_UP = "already_signed_up"
    NOT_SIGNED_UP = "not_signed_up"
    NOT_CONFIRMED = "not_confirmed"
    UNKNOWN_CODE = "unknown_code"
    OTHER_RECEPTION = "other_reception"
    ALREADY_CHECKED_IN = "already_checked_in"
    NOT_ON_DUTY = "not_on_duty"
    NOT_BEGUN = "not_begun"
    RECORD_CLOSED = "record_closed"
    ALREADY_RATED = "already_rated"
    ALREADY_SCHEDULED = "already_scheduled"
    NO_PROPOSAL = "no_proposal"
    CHECK_IN_NOT_OPEN = "check_in_not_open"
    OVER = "over"
    UNKNOWN_CLAIM = "unknown_claim"


class ReceptionRefused(Exception):
    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(f"{refusal}: {detail}" if detail else str(refusal))
        self.refusal = refusal
        self.detail = detail


@dataclass(frozen=True)
class ReceptionPlan:
    """What staff decide about a reception; checked before anything is written."""

    kind: ReceptionKind
    station: Station
    group: DeputyGroup
    starts_at: datetime
    ends_at: datetime
    capacity: int
    deputies: tuple[Deputy, ...] = ()
    place: str | None = None
    how_to_join: str | None = None
    theme: str | None = None
    department: str | None = None

    @classmethod
    def of(cls, reception: Reception) -> "ReceptionPlan":
        return cls(
            kind=reception.kind,
            station=reception.station,
            group=reception.group,
            starts_at=reception.starts_at,
            ends_at=reception.ends_at,
            capacity=reception.capacity,
            deputies=tuple(duty.deputy for duty in reception.duties),
            place=reception.place,
            how_to_join=reception.how_to_join,
            theme=reception.theme,
            department=reception.department,
        )


@dataclass
class Outcome:
    """What a change or cancellation did: who was told, and whether it came too late."""

    reception: Reception
    told: int = 0
    late: bool = False
    staff_told: bool = False
    promoted: list[ReceptionSignup] = field(default_factory=list)
    # A smaller capacity than the places taken: the last to get a place wait again, first.
    moved_to_waitlist: list[ReceptionSignup] = field(default_factory=list)


def snapshot(reception: Reception) -> dict[str, object]:
    """What staff decide about a reception, as its history keeps it."""
    return {
        "kind": reception.kind.value,
        "station": reception.station.code,
        "group": reception.group.code,
        "starts_at": reception.starts_at.isoformat(),
        "ends_at": reception.ends_at.isoformat(),
        "capacity": reception.capacity,
        "place": reception.place,
        "how_to_join": reception.how_to_join,
        "theme": reception.theme,
        "department": reception.department,
        "deputies": [duty.deputy.name for duty in reception.duties],
    }


async def history(session: AsyncSession, reception_id: int) -> list[ReceptionChange]:
    """What was done to a reception, oldest first."""
    rows = await session.scalars(
        select(ReceptionChange)
        .where(ReceptionChange.reception_id == reception_id)
        .order_by(ReceptionChange.at, ReceptionChange.id)
    )
    return list(rows)


async def hold(session: AsyncSession, reception: Reception) -> None:
    """Hold the reception's row until the commit and read it afresh: sign-ups and changes of
    capacity take turns. PostgreSQL locks the row; SQLite has one writer at a time, so a write
    that changes nothing takes the database's write lock (waiting for another writer's commit),
    and what is read after it is what that writer committed."""
    if session.bind.dialect.name == "sqlite":
        await session.execute(
            update(Reception).where(Reception.id == reception.id).values(id=Reception.id)
        )
    else:
        held = select(Reception.id).where(Reception.id == reception.id).with_for_update()
        await session.execute(held)
    await session.refresh(reception)


class ReceptionDesk:
    """The core's entry points for receptions, for staff (now the command line)."""

    def __init__(self, clock: Clock, catalogs: Catalogs, timezone: str) -> None:
        self.clock = clock
        self.catalogs = catalogs
        self.timezone = timezone
        self.messages = ReceptionMessages(clock, catalogs, timezone)

    def _record(
        self,
        session: AsyncSession,
        reception: Reception,
        by: str,
        action: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
    ) -> ReceptionChange:
        change = ReceptionChange(
            reception_id=reception.id,
            at=self.clock.now(),
            by=by[:100],
            action=action,
            before=before,
            after=after,
        )
        session.add(change)
        return change

    async def create(
        self,
        session: AsyncSession,
        plan: ReceptionPlan,
        schedule_key: str | None = None,
        by: str = "",
    ) -> Outcome:
        """`by`: who (a staff member, the directory file, a deputy), for the history."""
        now = self.clock.now()
        await self.check(session, plan, now)
        reception = Reception(
            status=ReceptionStatus.SCHEDULED,
            station_id=plan.station.id,
            group_id=plan.group.id,
            schedule_key=schedule_key,
            created_at=now,
            updated_at=now,
        )
        self._apply(reception, plan)
        session.add(reception)
        await session.flush()
        await session.refresh(reception)
        change = self._record(session, reception, by, "created", None, snapshot(reception))
        change.told = await self.messages.announce_new(session, reception)
        return Outcome(reception, change.told)

    async def change(
        self, session: AsyncSession, reception: Reception, by: str = "", **changes: object
    ) -> Outcome:
        """Change what staff name (the fields of ReceptionPlan); announced to everyone signed
        up and subscribed; flagged to staff when it comes less than three days ahead. A
        capacity below the places taken is allowed (the room is what it is): the residents
        who got their places last move to the head of the waitlist, and are told."""
        await hold(session, reception)  # before counting the places taken, as sign-ups do
        now = self.clock.now()
        self._still_open(reception, now)
        plan = replace(ReceptionPlan.of(reception), **changes)  # type: ignore[arg-type]
        await self.check(session, plan, now, reception)
        old = snapshot(reception)
        before = {
            locale: words.window(self.catalogs.get(locale), reception, self.timezone)
            for locale in LOCALES
        }
        late = min(reception.starts_at, plan.starts_at) - now < NOTICE
        self._apply(reception, plan)
        reception.updated_at = now
        await session.flush()
        await session.refresh(reception)
        outcome = Outcome(reception, late=late)
        outcome.moved_to_waitlist = await self.make_room(session, reception)
        outcome.promoted = await self.fill_places(session, reception)
        new = snapshot(reception)
        changed = [key for key in new if new[key] != old[key]]
        change = self._record(
            session,
            reception,
            by,
            "changed",
            {key: old[key] for key in changed},
            {key: new[key] for key in changed},
        )
        outcome.told = change.told = await self.messages.announce_change(session, reception, before)
        if late:
            what = self.catalogs.get(None).gettext("changed")
            outcome.staff_told = await self.messages.flag_late(session, reception, what)
        return outcome

    async def cancel(
        self, session: AsyncSession, reception: Reception, reason: str, by: str = ""
    ) -> Outcome:
        now = self.clock.now()
        self._still_open(reception, now)
        change = self._record(
            session,
            reception,
            by,
            "cancelled",
            {"status": reception.status.value},
            {"status": ReceptionStatus.CANCELLED.value, "reason": reason or None},
        )
        reception.status = ReceptionStatus.CANCELLED
        reception.cancel_reason = reason or None
        reception.updated_at = now
        signups = list(
            await session.scalars(
                select(ReceptionSignup).where(
                    ReceptionSignup.reception_id == reception.id,
                    ReceptionSignup.status != SignupStatus.CANCELLED,
                )
            )
        )
        for signup in signups:
            signup.status = SignupStatus.CANCELLED
            signup.updated_at = now
        outcome = Outcome(reception, late=reception.starts_at - now < NOTICE)
        outcome.told = change.told = await self.messages.announce_cancel(
            session, reception, [s.resident_id for s in signups]
        )
        if outcome.late:
            what = self.catalogs.get(None).gettext("cancelled")
            outcome.staff_told = await self.messages.flag_late(session, reception, what)
        return outcome

    # --- checks -----------------------------------------------------------------------------

    async def check(
        self,
        session: AsyncSession,
        plan: ReceptionPlan,
        now: datetime,
        reception: Reception | None = None,
    ) -> None:
        if plan.starts_at <= now:
            raise ReceptionRefused(Refusal.IN_THE_PAST)
        if plan.ends_at <= plan.starts_at:
            raise ReceptionRefused(Refusal.ENDS_BEFORE_START)
        if plan.capacity < 1:
            raise ReceptionRefused(Refusal.NO_CAPACITY)
        if not plan.place and not plan.how_to_join:
            raise ReceptionRefused(Refusal.NO_PLACE)
        busy = await self.busy_deputies(session, plan, reception)
        if busy:
            raise ReceptionRefused(Refusal.DEPUTY_BUSY, "、".join(busy))

    async def busy_deputies(
        self, session: AsyncSession, plan: ReceptionPlan, reception: Reception | None
    ) -> list[str]:
        """Deputies of the plan already on duty at another reception at an overlapping time."""
        ids = [deputy.id for deputy in plan.deputies]
        if not ids:
            return []
        query = (
            select(Deputy.name)
            .join(ReceptionDuty, ReceptionDuty.deputy_id == Deputy.id)
            .join(Reception, Reception.id == ReceptionDuty.reception_id)
            .where(
                Deputy.id.in_(ids),
                Reception.status == ReceptionStatus.SCHEDULED,
                Reception.starts_at < plan.ends_at,
                Reception.ends_at > plan.starts_at,
            )
            .order_by(Deputy.id)
        )
        if reception is not None:
            query = query.where(Reception.id != reception.id)
        return list(dict.fromkeys(await session.scalars(query)))

    @staticmethod
    def _still_open(reception: Reception, now: datetime) -> None:
        if reception.status == ReceptionStatus.CANCELLED:
            raise ReceptionRefused(Refusal.CANCELLED)
        if reception.starts_at <= now:
            raise ReceptionRefused(Refusal.STARTED)

    @staticmethod
    def _apply(reception: Reception, plan: ReceptionPlan) -> None:
        reception.kind = plan.kind
        reception.station_id = plan.station.id
        reception.station = plan.station
        reception.group_id = plan.group.id
        reception.group = plan.group
        reception.starts_at = plan.starts_at
        reception.ends_at = plan.ends_at
        reception.capacity = plan.capacity
        reception.place = plan.place
        reception.how_to_join = plan.how_to_join
        reception.theme = plan.theme
        reception.department = plan.department
        on_duty = {duty.deputy_id: duty for duty in reception.duties}
        reception.duties = [
            on_duty.get(deputy.id) or ReceptionDuty(deputy_id=deputy.id, deputy=deputy)
            for deputy in plan.deputies
        ]

    # --- places -----------------------------------------------------------------------------

    async def taken(self, session: AsyncSession, reception: Reception) -> int:
        rows = await session.scalars(
            select(ReceptionSignup.id).where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.status == SignupStatus.CONFIRMED,
            )
        )
        return len(list(rows))

    async def fill_places(
        self, session: AsyncSession, reception: Reception
    ) -> list[ReceptionSignup]:
        """Give free places to the waitlist in the order residents asked; each is told."""
        free = reception.capacity - await self.taken(session, reception)
        if free <= 0:
            return []
        waiting = list(
            await session.scalars(
                select(ReceptionSignup)
                .where(
                    ReceptionSignup.reception_id == reception.id,
                    ReceptionSignup.status == SignupStatus.WAITLISTED,
                )
                .order_by(ReceptionSignup.queued_at, ReceptionSignup.id)
                .limit(free)
            )
        )
        for signup in waiting:
            signup.status = SignupStatus.CONFIRMED
            signup.placed_at = signup.updated_at = self.clock.now()
            await self.messages.tell_promoted(session, reception, signup)
        return waiting

    async def make_room(self, session: AsyncSession, reception: Reception) -> list[ReceptionSignup]:
        """Places taken beyond the capacity go back to the waitlist: those given last (one
        already checked in keeps theirs longest). They asked earlier than anyone waiting (places
        are given in the order asked), so, keeping when they asked, they are first in line."""
        over = await self.taken(session, reception) - reception.capacity
        if over <= 0:
            return []
        placed = list(
            await session.scalars(
                select(ReceptionSignup).where(
                    ReceptionSignup.reception_id == reception.id,
                    ReceptionSignup.status == SignupStatus.CONFIRMED,
                )
            )
        )
        placed.sort(
            key=lambda s: (s.checked_in_at is None, s.placed_at or s.queued_at, s.id), reverse=True
        )
        moved = placed[:over]
        for signup in moved:
            signup.status = SignupStatus.WAITLISTED
            signup.placed_at = signup.checked_in_at = None
            signup.updated_at = self.clock.now()
            await self.messages.tell_moved_to_waitlist(session, reception, signup)
        await session.flush()
        return moved

    # --- reading ----------------------------------------------------------------------------

    async def coming(self, session: AsyncSession, area_id: int | None) -> list[Reception]:
        """Coming receptions: those of the stations of the resident's area first, then of
        their district, then the rest, each soonest first."""
        rows = list(
            await session.scalars(
                select(Reception)
                .where(
                    Reception.status == ReceptionStatus.SCHEDULED,
                    Reception.starts_at > self.clock.now(),
                )
                .order_by(Reception.starts_at, Reception.id)
            )
        )
        path = [area.id for area in await area_path(session, area_id)]
        if not path:
            return rows

        async def nearness(reception: Reception) -> int:
            station_path = [a.id for a in await area_path(session, reception.station.area_id)]
            if station_path and station_path[-1] in path:
                return 0  # the resident's own station
            shared = len([a for a, b in zip(path, station_path, strict=False) if a == b])
            return 3 - min(shared, 2)

        order = {reception.id: await nearness(reception) for reception in rows}
        return sorted(rows, key=lambda r: (order[r.id], r.starts_at, r.id))

    async def station_of_area(self, session: AsyncSession, area_id: int | None) -> Station | None:
        """The resident's own station: the innermost station of their area's path."""
        for area in reversed(await area_path(session, area_id)):
            station = await session.scalar(
                select(Station).where(Station.area_id == area.id, Station.active.is_(True))
            )
            if station is not None:
                return station
        return None

    async def default_group(self, session: AsyncSession, station: Station) -> DeputyGroup | None:
        """The group that works a station's receptions unless staff name one: its fallback
        group (兜底), else its first."""
        return await session.scalar(
            select(DeputyGroup)
            .where(DeputyGroup.station_id == station.id, DeputyGroup.active.is_(True))
            .order_by(DeputyGroup.fallback.desc(), DeputyGroup.id)
            .limit(1)
        )
