"""Staff run receptions (接待) from the panel: within their scope (street staff: their streets'
stations), through the very functions the command line and the bot use (`ReceptionDesk`,
`Signups`, `ReceptionOutcomes`), each step recorded in the audit log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.core.reception_outcomes import RECORD_WINDOW, Raised, ReceptionOutcomes, WalkIn
from bot.core.reception_signups import Signups
from bot.core.receptions import Outcome, ReceptionDesk, ReceptionPlan
from bot.core.scope import Scope
from bot.core.staff_desk import NotVisible
from bot.core.tickets import TicketDesk
from bot.text.catalogs import N_
from storage.models import (
    Deputy,
    DeputyGroup,
    Reception,
    ReceptionChange,
    ReceptionKind,
    ReceptionSignup,
    ReceptionStatus,
    SignupStatus,
    StaffMember,
    Station,
)


class PlanError(Exception):
    """A field of the form names nothing staff may use; `field` says which."""

    def __init__(self, field: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.values = values


@dataclass(frozen=True)
class PlanForm:
    """What staff chose in the reception form, by code; times already local datetimes."""

    kind: str
    station: str
    group: str
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int | None
    deputies: tuple[str, ...] = ()
    place: str | None = None
    how_to_join: str | None = None
    theme: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Listed:
    reception: Reception
    taken: int
    waiting: int


@dataclass(frozen=True)
class Roster:
    """A reception's sign-ups in the order residents asked: a name only where the resident
    agreed to show it."""

    confirmed: list[tuple[ReceptionSignup, str | None]]
    waiting: list[tuple[ReceptionSignup, str | None]]


def _stations_within(scope: Scope) -> Any:
    return Station.active.is_(True) if scope.everything else Station.id.in_(scope.station_ids)


async def stations(session: AsyncSession, scope: Scope) -> list[Station]:
    return list(await session.scalars(select(Station).where(_stations_within(scope))))


async def choices(session: AsyncSession, scope: Scope) -> dict[str, list[Any]]:
    """What the form offers: the stations in scope, their groups, and every active deputy."""
    mine = await stations(session, scope)
    groups = await session.scalars(
        select(DeputyGroup)
        .where(DeputyGroup.active, DeputyGroup.station_id.in_([s.id for s in mine]))
        .order_by(DeputyGroup.id)
    )
    deputies = await session.scalars(select(Deputy).where(Deputy.active).order_by(Deputy.id))
    return {"stations": mine, "groups": list(groups), "deputies": list(deputies)}


async def listed(
    session: AsyncSession,
    desk: ReceptionDesk,
    scope: Scope,
    past: bool,
    station_code: str = "",
    limit: int = 200,
) -> list[Listed]:
    """Coming receptions soonest first, or past ones latest first; of one station if named."""
    now = desk.clock.now()
    query = select(Reception).join(Station, Station.id == Reception.station_id)
    if not scope.everything:
        query = query.where(Reception.station_id.in_(scope.station_ids))
    if station_code:
        query = query.where(Station.code == station_code)
    if past:
        query = query.where(Reception.ends_at <= now).order_by(Reception.starts_at.desc())
    else:
        query = query.where(Reception.ends_at > now).order_by(Reception.starts_at)
    found = []
    signups = Signups(desk)
    for reception in await session.scalars(query.limit(limit)):
        confirmed, waiting = await signups.signed_up(session, reception)
        found.append(Listed(reception, len(confirmed), waiting))
    return found


async def visible(session: AsyncSession, scope: Scope, reception_id: int) -> Reception:
    reception = await session.get(Reception, reception_id)
    if reception is None or not (scope.everything or reception.station_id in scope.station_ids):
        raise NotVisible(str(reception_id))
    return reception


async def roster(session: AsyncSession, desk: ReceptionDesk, reception: Reception) -> Roster:
    confirmed, waiting = [], []
    for signup, name in await Signups(desk).listed(session, reception):
        shown = name if signup.show_name else None
        (confirmed if signup.status == SignupStatus.CONFIRMED else waiting).append((signup, shown))
    return Roster(confirmed, waiting)


async def plan_of(
    session: AsyncSession, desk: ReceptionDesk, scope: Scope, form: PlanForm
) -> ReceptionPlan:
    """The plan the form names, every code resolved within the staff member's scope."""
    if form.kind not in set(ReceptionKind):
        raise PlanError("kind", N_("Choose the kind of reception."))
    station = await session.scalar(
        select(Station).where(Station.code == form.station, _stations_within(scope))
    )
    if station is None or not station.active:
        raise PlanError("station", N_("Choose a liaison station."))
    if form.group:
        group = await session.scalar(select(DeputyGroup).where(DeputyGroup.code == form.group))
        if group is None or not group.active or group.station_id != station.id:
            raise PlanError("group", N_("This deputy group is not of that liaison station."))
    else:
        group = await desk.default_group(session, station)
        if group is None:
            raise PlanError("group", N_("The liaison station has no active deputy group."))
    if form.starts_at is None:
        raise PlanError("starts_at", N_("Give the date and time it begins."))
    if form.ends_at is None:
        raise PlanError("ends_at", N_("Give the date and time it ends."))
    if form.capacity is None:
        raise PlanError("capacity", N_("Give how many residents it can receive."))
    deputies = []
    for code in form.deputies:
        deputy = await session.scalar(select(Deputy).where(Deputy.code == code, Deputy.active))
        if deputy is None:
            raise PlanError("deputies", N_("No active deputy has the code {code}."), code=code)
        deputies.append(deputy)
    return ReceptionPlan(
        kind=ReceptionKind(form.kind),
        station=station,
        group=group,
        starts_at=form.starts_at,
        ends_at=form.ends_at,
        capacity=form.capacity,
        deputies=tuple(deputies),
        place=form.place,
        how_to_join=form.how_to_join,
        theme=form.theme,
        department=form.department,
    )


def snapshot(reception: Reception) -> dict[str, Any]:
    """What the audit log keeps of a reception, before and after."""
    return {
        "kind": str(reception.kind),
        "status": str(reception.status),
        "station": reception.station.code,
        "group": reception.group.code,
        "starts_at": reception.starts_at.isoformat(),
        "ends_at": reception.ends_at.isoformat(),
        "capacity": reception.capacity,
        "deputies": [duty.deputy.code for duty in reception.duties],
        "place": reception.place,
        "how_to_join": reception.how_to_join,
        "theme": reception.theme,
        "department": reception.department,
    }


def _told(outcome: Outcome) -> dict[str, Any]:
    return {
        "told": outcome.told,
        "late": outcome.late,
        "staff_told": outcome.staff_told,
        "moved_to_waitlist": len(outcome.moved_to_waitlist),
    }


class ReceptionStaff:
    """The panel's entry points; the caller holds the transaction."""

    def __init__(self, desk: ReceptionDesk, tickets: TicketDesk) -> None:
        self.desk = desk
        self.signups = Signups(desk)
        self.outcomes = ReceptionOutcomes(desk, tickets)
        self.clock = desk.clock

    def _record(
        self,
        session: AsyncSession,
        by: StaffMember,
        action: str,
        reception: Reception,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        target = f"reception:{reception.id}"
        audit.record(session, by, f"reception.{action}", target, self.clock.now(), before, after)

    async def create(
        self, session: AsyncSession, by: StaffMember, scope: Scope, form: PlanForm
    ) -> Outcome:
        plan = await plan_of(session, self.desk, scope, form)
        outcome = await self.desk.create(session, plan, by=by.name)
        self._record(session, by, "create", outcome.reception, None, snapshot(outcome.reception))
        return outcome

    async def change(
        self,
        session: AsyncSession,
        by: StaffMember,
        scope: Scope,
        reception: Reception,
        form: PlanForm,
    ) -> Outcome:
        """Change what the form changes; announced and flagged as the desk does."""
        plan = await plan_of(session, self.desk, scope, form)
        before = snapshot(reception)
        now = ReceptionPlan.of(reception)
        changes = {
            name: getattr(plan, name)
            for name in ReceptionPlan.__dataclass_fields__
            if getattr(plan, name) != getattr(now, name)
        }
        if "deputies" in changes:
            changes["deputies"] = plan.deputies
        outcome = await self.desk.change(session, reception, by=by.name, **changes)
        self._record(session, by, "change", reception, before, snapshot(reception) | _told(outcome))
        return outcome

    async def cancel(
        self, session: AsyncSession, by: StaffMember, reception: Reception, reason: str
    ) -> Outcome:
        outcome = await self.desk.cancel(session, reception, reason.strip(), by=by.name)
        after = {"status": "cancelled", "reason": reason.strip()} | _told(outcome)
        self._record(session, by, "cancel", reception, {"status": "scheduled"}, after)
        return outcome

    async def check_in(
        self, session: AsyncSession, by: StaffMember, reception: Reception, code: str
    ) -> ReceptionSignup:
        signup = await self.signups.check_in(session, reception, code)
        self._record(session, by, "check_in", reception, None, {"code": signup.code})
        return signup

    async def attendance(
        self, session: AsyncSession, by: StaffMember, reception: Reception, came: dict[int, bool]
    ) -> None:
        """Which deputies on duty came (代表进站)."""
        before = {duty.deputy.code: duty.attended for duty in reception.duties}
        for deputy_id, present in came.items():
            await self.outcomes.mark_attendance(session, reception, deputy_id, present)
        after = {duty.deputy.code: duty.attended for duty in reception.duties}
        self._record(session, by, "attendance", reception, before, after)

    async def raise_issue(
        self,
        session: AsyncSession,
        by: StaffMember,
        reception: Reception,
        code: str,
        text: str,
        key: str,
    ) -> Raised:
        """An issue a resident raised at the reception: a ticket of the normal loop. The same
        `key` again (a form sent twice) makes no second ticket and no second entry."""
        known = await self.outcomes.outcome_numbers(session, reception)
        raised = await self.outcomes.raise_issue(session, reception, code, text, f"panel:{key}")
        if raised.ticket.number not in known:
            after = {"code": raised.signup.code, "ticket": raised.ticket.number}
            self._record(session, by, "raise", reception, None, after)
        return raised

    async def raise_walk_in(
        self, session: AsyncSession, by: StaffMember, reception: Reception, text: str, key: str
    ) -> WalkIn:
        """An issue raised by someone who came without signing up: a ticket, and the claim code
        to hand them. The same `key` again makes no second ticket and no second entry."""
        known = await self.outcomes.outcome_numbers(session, reception)
        made = await self.outcomes.raise_walk_in(session, reception, text, f"panel:{key}")
        if made.ticket.number not in known:
            after = {"walk_in": True, "ticket": made.ticket.number}
            self._record(session, by, "raise", reception, None, after)
        return made

    async def close_record(
        self, session: AsyncSession, by: StaffMember, reception: Reception
    ) -> int:
        asked = await self.outcomes.close_record(session, reception)
        self._record(session, by, "close_record", reception, None, {"asked_to_rate": asked})
        return asked

    async def outcome_numbers(self, session: AsyncSession, reception: Reception) -> list[str]:
        return await self.outcomes.outcome_numbers(session, reception)


def open_for_record(reception: Reception, now: datetime) -> bool:
    """Whether attendance and outcomes can be recorded now (as `ReceptionOutcomes` checks)."""
    return (
        reception.status == ReceptionStatus.SCHEDULED
        and reception.starts_at <= now
        and reception.closed_at is None
        and reception.ends_at > now - RECORD_WINDOW
    )


async def history_names(
    session: AsyncSession, changes: list[ReceptionChange]
) -> dict[tuple[str, str], str]:
    """The names of the stations and deputy groups a reception's history names by code, by
    (field, code): the history keeps codes, staff read names."""
    codes: dict[str, set[str]] = {"station": set(), "group": set()}
    for change in changes:
        for values in (change.before or {}, change.after or {}):
            for key, found in codes.items():
                if values.get(key):
                    found.add(str(values[key]))
    names: dict[tuple[str, str], str] = {}
    for key, model in (("station", Station), ("group", DeputyGroup)):
        if codes[key]:
            rows = await session.execute(
                select(model.code, model.name).where(model.code.in_(codes[key]))
            )
            names |= {(key, code): name for code, name in rows}
    return names
