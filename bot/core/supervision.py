"""Supervision (督办): the supervisor watches the deadlines of tickets held by deputy groups.

Each sweep, for every ticket a deputy group holds:
- 2 working days before its deadline, and on the day, the group is warned (at the digest time
  of that day, not at midnight); only the most urgent warning due is sent, each at most once;
- once the deadline has passed, the ticket is marked overdue (`overdue_since`), the group is
  told, the street's staff chat is told if the directory names one (escalation to staff), and
  the timeline records it (OVERDUE).
Reminders of receptions are sent from the same sweep (`bot.core.reception_reminders`).
Once a day at the digest time each deputy group gets a digest of its open tickets that are
overdue or due within three days; it is skipped when there is nothing to say.

Safe to run twice: every warning is claimed by a unique row (TicketReminder; DigestSent for a
digest) inserted in the same transaction as its outbox row, so a restart or a second process
never warns twice. On PostgreSQL only the holder of an advisory lock sweeps; the lock lives on
a connection of its own, so when its process dies another process takes over at its next try.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.core.calendar import WorkCalendar, at_local, load_calendar, local_day
from bot.core.reception_reminders import ReceptionReminders
from bot.core.receptions import ReceptionDesk
from bot.core.timeline import SYSTEM, record
from bot.core.workflow import WITH_GROUP
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.metrics import DEADLINE_WARNINGS, SUPERVISOR_ACTIVE
from bot.text import render
from bot.text.catalogs import Catalogs
from storage.models import (
    AreaKind,
    DeputyGroup,
    OutboxPurpose,
    RecipientKind,
    Station,
    Ticket,
    TicketStatus,
    TimelineAction,
)
from storage.queries.areas import area_path
from storage.queries.contacts import reachable
from storage.queries.supervision import (
    advisory_unlock,
    claim_digest,
    claim_reminder,
    group_tickets,
    groups_without_digest,
    still_connected,
    try_advisory_lock,
    watched_tickets,
)

log = logging.getLogger(__name__)

Deadline = Literal["accept", "answer"]
# Not yet accepted: the acceptance deadline is watched as well as the answer's.
AWAITING_ACCEPTANCE = frozenset({TicketStatus.ASSIGNED, TicketStatus.REOPENED})
WARN_WORKING_DAYS = 2  # the early warning, this many working days before the deadline
DIGEST_DAYS = 3  # the digest lists what falls due within this many days
# Two working days before a deadline can be ten calendar days before it (a week of holidays).
HORIZON = timedelta(days=21)


@dataclass(frozen=True)
class Notice:
    """What one deadline of one ticket calls for now: a warning or the overdue notice."""

    deadline: Deadline
    kind: str  # TicketReminder.kind: accept_today, answer_soon, answer_today, answer_overdue …
    due: datetime

    @property
    def overdue(self) -> bool:
        return self.kind.endswith("_overdue")


@dataclass
class SweepReport:
    warnings: int = 0
    overdue: int = 0
    digests: int = 0
    reception_reminders: int = 0


@dataclass
class Supervisor:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    catalogs: Catalogs
    timezone: str
    digest_at: time = time(9, 0)
    interval_seconds: float = 60.0
    wake_sender: Callable[[], None] | None = None
    _lock: AsyncConnection | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._stop = asyncio.Event()
        self._groups: dict[int, tuple[str, Recipient | None]] = {}
        desk = ReceptionDesk(self.clock, self.catalogs, self.timezone)
        self._receptions = ReceptionReminders(self.sessionmaker, desk)

    def stop(self) -> None:
        """Finish the sweep in hand, then return from run() (releasing the lock)."""
        self._stop.set()

    async def run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    await self.sweep(self.clock.now())
                except Exception:
                    log.exception("supervision sweep failed; retrying after the interval")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.interval_seconds)
        finally:
            await self.close()

    async def close(self) -> None:
        """Release the sweep lock (PostgreSQL) and its connection."""
        SUPERVISOR_ACTIVE.set(0)
        if self._lock is None:
            return
        connection, self._lock = self._lock, None
        with contextlib.suppress(Exception):
            await advisory_unlock(connection)
        # Closed for good, not returned to the pool: a lock it might still hold goes with it.
        with contextlib.suppress(Exception):
            await connection.invalidate()
        with contextlib.suppress(Exception):
            await connection.close()

    async def sweep(self, now: datetime) -> SweepReport | None:
        """Warn, mark overdue, send the digests due at `now`; None if another process holds
        the sweep (PostgreSQL)."""
        if not await self._hold_lock():
            return None
        return await self.sweep_without_lock(now)

    async def sweep_without_lock(self, now: datetime) -> SweepReport:
        """One sweep, whoever else sweeps: the claims alone keep it from warning twice."""
        report = SweepReport()
        self._groups = {}
        async with self.sessionmaker() as session:
            calendar = await load_calendar(session)
            tickets, claimed = await watched_tickets(
                session, WITH_GROUP, AWAITING_ACCEPTANCE, now + HORIZON
            )
        # Read first, write only where something is to be said: a quiet sweep writes nothing.
        ticket_ids = [
            ticket.id
            for ticket in tickets
            if any(
                (ticket.id, notice.kind, notice.due) not in claimed
                for notice in self.notices(ticket, calendar, now)
            )
        ]
        for ticket_id in ticket_ids:
            # One ticket that cannot be handled must not hold up the others' warnings.
            try:
                async with self.sessionmaker.begin() as session:
                    await self._watch(session, ticket_id, calendar, now, report)
            except Exception:
                log.exception("supervision of ticket %s failed; retrying next sweep", ticket_id)
        await self._digests(now, report)
        DEADLINE_WARNINGS.labels("warning").inc(report.warnings)
        DEADLINE_WARNINGS.labels("overdue").inc(report.overdue)
        try:
            report.reception_reminders = await self._receptions.sweep(now)
        except Exception:
            log.exception("reception reminders failed; retrying next sweep")
        said = report.warnings or report.overdue or report.digests or report.reception_reminders
        if said and self.wake_sender:
            self.wake_sender()
        return report

    async def _hold_lock(self) -> bool:
        """Whether this process holds the sweep lock (taking it if free). The gauge says 1
        only while it is held: a process that is only trying, or failed to, says 0, so the
        processes' gauges add up to the one that sweeps."""
        engine = self.sessionmaker.kw["bind"]
        if engine.dialect.name != "postgresql":
            SUPERVISOR_ACTIVE.set(1)  # SQLite: one process
            return True
        if self._lock is not None:
            if await still_connected(self._lock):
                return True
            await self.close()
        connection = await engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            held = await try_advisory_lock(connection)
        except Exception:
            await connection.invalidate()
            await connection.close()
            raise
        if not held:
            await connection.close()
            return False
        log.info("this process now runs the supervision sweeps")
        self._lock = connection
        SUPERVISOR_ACTIVE.set(1)
        return True

    # --- deadlines of one ticket -----------------------------------------------------------

    def notices(self, ticket: Ticket, calendar: WorkCalendar, now: datetime) -> list[Notice]:
        """The most urgent warning or notice each deadline of the ticket calls for now."""
        found: list[Notice] = []
        if ticket.status in AWAITING_ACCEPTANCE and ticket.acknowledge_due is not None:
            # No early warning on the day the card itself arrived (assigned or reopened: the
            # ticket's last change while it waits to be accepted).
            assigned = local_day(ticket.updated_at, self.timezone)
            notice = self._notice("accept", ticket.acknowledge_due, calendar, now, assigned)
            if notice:
                found.append(notice)
        if ticket.status in WITH_GROUP and ticket.answer_due is not None:
            notice = self._notice("answer", ticket.answer_due, calendar, now)
            if notice:
                found.append(notice)
        return found

    def _notice(
        self,
        deadline: Deadline,
        due: datetime,
        calendar: WorkCalendar,
        now: datetime,
        not_before: date | None = None,
    ) -> Notice | None:
        """Overdue, due today, or due in 2 working days (unless that day is not after
        `not_before`)."""
        day = local_day(due, self.timezone)
        if now > due:
            return Notice(deadline, f"{deadline}_overdue", due)
        if now >= at_local(day, self.digest_at, self.timezone):
            return Notice(deadline, f"{deadline}_today", due)
        early_day = calendar.workdays_before(day, WARN_WORKING_DAYS)
        if not_before is not None and early_day <= not_before:
            return None
        if now >= at_local(early_day, self.digest_at, self.timezone):
            return Notice(deadline, f"{deadline}_soon", due)
        return None

    async def _watch(
        self,
        session: AsyncSession,
        ticket_id: int,
        calendar: WorkCalendar,
        now: datetime,
        report: SweepReport,
    ) -> None:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None or ticket.deputy_group_id is None:
            return
        for notice in self.notices(ticket, calendar, now):
            if not await claim_reminder(session, ticket.id, notice.kind, notice.due, now):
                continue
            if notice.overdue:
                await self._overdue(session, ticket, notice, now)
                report.overdue += 1
            else:
                self._warn(session, ticket, notice, now)
                report.warnings += 1

    def _warn(self, session: AsyncSession, ticket: Ticket, notice: Notice, now: datetime) -> None:
        assert ticket.deputy_group_id is not None
        t = self.catalogs.get(None)
        text = render.deadline_warning(
            t,
            ticket,
            notice.deadline,
            notice.due,
            self.timezone,
            today=notice.kind.endswith("_today"),
        )
        enqueue(
            session,
            Recipient.deputy_group(ticket.deputy_group_id),
            OutboxPurpose.DEADLINE_WARNING,
            Content(text),
            now,
            ticket_id=ticket.id,
        )
        self._event(session, ticket, TimelineAction.WARNED, now, notice)

    async def _overdue(
        self, session: AsyncSession, ticket: Ticket, notice: Notice, now: datetime
    ) -> None:
        assert ticket.deputy_group_id is not None
        if ticket.overdue_since is None:
            ticket.overdue_since = notice.due
        group_name, staff = await self._group_and_staff(session, ticket.deputy_group_id)
        t = self.catalogs.get(None)
        if staff is not None:
            enqueue(
                session,
                staff,
                OutboxPurpose.OVERDUE,
                Content(
                    render.overdue_staff_notice(
                        t, ticket, group_name, notice.deadline, notice.due, self.timezone
                    )
                ),
                now,
                ticket_id=ticket.id,
            )
        enqueue(
            session,
            Recipient.deputy_group(ticket.deputy_group_id),
            OutboxPurpose.OVERDUE,
            Content(
                render.overdue_notice(
                    t, ticket, notice.deadline, notice.due, self.timezone, staff is not None
                )
            ),
            now,
            ticket_id=ticket.id,
        )
        self._event(
            session, ticket, TimelineAction.OVERDUE, now, notice, staff_told=staff is not None
        )

    async def _group_and_staff(
        self, session: AsyncSession, group_id: int
    ) -> tuple[str, Recipient | None]:
        """The group's name and its street's staff chat, looked up once a sweep."""
        if group_id not in self._groups:
            group = await session.get_one(DeputyGroup, group_id)
            staff = await self._staff_chat(session, group)
            if staff is None:
                log.warning(
                    "deputy group %s has overdue tickets and the directory names no staff chat "
                    "for its street: only the group is told",
                    group.code,
                )
            self._groups[group_id] = (group.name, staff)
        return self._groups[group_id]

    async def _staff_chat(self, session: AsyncSession, group: DeputyGroup) -> Recipient | None:
        """The staff chat of the street the group's station is in, if the directory names
        one."""
        station = await session.get_one(Station, group.station_id)
        for area in reversed(await area_path(session, station.area_id)):
            if area.kind == AreaKind.STREET:
                recipient = Recipient(RecipientKind.STAFF_CHAT, area.id)
                if await reachable(session, recipient.kind, recipient.id):
                    return recipient
                return None
        return None

    @staticmethod
    def _event(
        session: AsyncSession,
        ticket: Ticket,
        action: TimelineAction,
        now: datetime,
        notice: Notice,
        **detail: object,
    ) -> None:
        record(
            session,
            ticket,
            SYSTEM,
            action,
            now,
            kind=notice.kind,
            deadline=notice.deadline,
            due=notice.due.isoformat(),
            **detail,
        )

    # --- the daily digest ------------------------------------------------------------------

    async def _digests(self, now: datetime, report: SweepReport) -> None:
        today = local_day(now, self.timezone)
        if now < at_local(today, self.digest_at, self.timezone):
            return
        async with self.sessionmaker() as session:
            group_ids = await groups_without_digest(session, today)
        for group_id in group_ids:
            try:
                async with self.sessionmaker.begin() as session:
                    if await self._digest(session, group_id, today, now):
                        report.digests += 1
            except Exception:
                log.exception("digest of deputy group %s failed; retrying next sweep", group_id)

    async def _digest(
        self, session: AsyncSession, group_id: int, today: date, now: datetime
    ) -> bool:
        """The group's digest of today, decided once: sent, or skipped when empty."""
        if not await claim_digest(session, group_id, today, now):
            return False
        overdue: list[tuple[Ticket, Deadline, datetime]] = []
        due_soon: list[tuple[Ticket, Deadline, datetime]] = []
        horizon = today + timedelta(days=DIGEST_DAYS)
        for ticket in await group_tickets(session, group_id, WITH_GROUP):
            deadline, due = _next_deadline(ticket)
            if due is None:
                continue
            if ticket.overdue_since is not None or now > due:
                overdue.append((ticket, deadline, due))
            elif local_day(due, self.timezone) <= horizon:
                due_soon.append((ticket, deadline, due))
        if not overdue and not due_soon:
            return False
        group = await session.get_one(DeputyGroup, group_id)
        t = self.catalogs.get(None)
        text = render.daily_digest(t, group.name, today, overdue, due_soon, self.timezone)
        enqueue(session, Recipient.deputy_group(group_id), OutboxPurpose.DIGEST, Content(text), now)
        return True


def _next_deadline(ticket: Ticket) -> tuple[Deadline, datetime | None]:
    """The deadline the group must meet first: acceptance while not accepted, else the
    answer."""
    if ticket.status in AWAITING_ACCEPTANCE and ticket.acknowledge_due is not None:
        return "accept", ticket.acknowledge_due
    return "answer", ticket.answer_due
