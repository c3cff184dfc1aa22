"""Tickets: an opinion comes in, is numbered and routed, a card goes to the deputy group, and
every step of the closed loop (`bot.core.workflow`) is applied here: recorded on the timeline,
told to the resident and shown on the group's card, in the caller's transaction."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core import deadlines
from bot.core.attachments import Media, attach
from bot.core.followers import followers_of, tell_followers
from bot.core.routing import route_ticket
from bot.core.ticket_messages import TicketMessages
from bot.core.timeline import SYSTEM, Who, record
from bot.core.workflow import (
    MAX_REOPENS,
    MAX_REROUTES,
    OPEN,
    Step,
    TransitionError,
    check,
)
from bot.text import render
from bot.text.catalogs import Catalogs
from storage.models import (
    Actor,
    Deputy,
    DeputyGroup,
    Escalation,
    OutboxMessage,
    OutboxPurpose,
    Rating,
    Resident,
    Ticket,
    TicketStatus,
    TimelineAction,
)
from storage.queries.contacts import deputy_in_group
from storage.queries.counters import next_number
from storage.queries.outbox import ticket_of_delivered
from storage.queries.tickets import groups_that_held

log = logging.getLogger(__name__)

OPINION_PREFIX = "A"


def as_deputy(deputy: Deputy) -> Who:
    """A deputy taking a step, named on the timeline."""
    return Who(Actor.DEPUTY, deputy.id, deputy.name)


async def ticket_number(session: AsyncSession, prefix: str, year: int) -> str:
    """A-2026-000123: the prefix, the year and a counter of the prefix in that year."""
    return f"{prefix}-{year}-{await next_number(session, prefix, year):06d}"


@dataclass
class Submission:
    ticket: Ticket
    group: DeputyGroup | None


class TicketDesk:
    """The core's entry points for tickets; every front door goes through here."""

    def __init__(self, clock: Clock, catalogs: Catalogs, timezone: str) -> None:
        self.clock = clock
        self.catalogs = catalogs
        self.timezone = timezone
        self.messages = TicketMessages(clock, catalogs, timezone)

    # --- intake ---------------------------------------------------------------------------

    async def submit_opinion(
        self,
        session: AsyncSession,
        resident: Resident,
        text: str,
        intake_key: str,
        category_id: int | None = None,
        resident_named: bool = False,
        attachments: Sequence[Media] = (),
    ) -> Submission:
        """Create, number and route a ticket with its attachments, and queue its card (and
        copies of the attachments) for the deputy group. Submitting the same intake_key again
        returns the ticket made the first time."""
        existing = await session.scalar(select(Ticket).where(Ticket.intake_key == intake_key))
        if existing is not None:
            group_id = existing.deputy_group_id
            group = await session.get(DeputyGroup, group_id) if group_id is not None else None
            return Submission(existing, group)
        now = self.clock.now()
        # The year of the number is the station's: 1 January begins at midnight local time.
        year = now.astimezone(ZoneInfo(self.timezone)).year
        ticket = Ticket(
            number=await ticket_number(session, OPINION_PREFIX, year),
            intake_key=intake_key,
            resident_id=resident.id,
            area_id=resident.area_id,
            category_id=category_id,
            resident_named=resident_named,
            text=text,
            status=TicketStatus.AWAITING_TRIAGE,
            reroute_count=0,
            reopen_count=0,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        await session.flush()
        attach(session, ticket, attachments, now)
        self._record(session, ticket, Who(Actor.RESIDENT, resident.id), TimelineAction.SUBMITTED)
        decision = await route_ticket(session, ticket.area_id, category_id)
        if decision.group is None:
            self._record(session, ticket, SYSTEM, TimelineAction.UNROUTED, rule=decision.rule)
            log.warning("ticket %s: no rule routes it; it awaits staff triage", ticket.number)
            return Submission(ticket, None)
        await self._hand_to(session, ticket, decision.group, SYSTEM, decision.rule, tell=False)
        return Submission(ticket, decision.group)

    # --- the steps of the loop ------------------------------------------------------------

    async def assign(
        self, session: AsyncSession, ticket: Ticket, group: DeputyGroup, who: Who
    ) -> None:
        """Staff give a ticket awaiting triage (or escalated to them) to a deputy group."""
        await self._lock(session, ticket)
        check(Step.ASSIGN, ticket.status, who.actor)
        await self._hand_to(session, ticket, group, who, f"assigned by {who.actor}", tell=True)

    async def reroute(
        self,
        session: AsyncSession,
        ticket: Ticket,
        who: Who,
        to: DeputyGroup | None = None,
        reason: str | None = None,
    ) -> DeputyGroup | None:
        """ "Not ours" from the holding group, or staff moving it to `to`. Without `to`, the
        next group by the routing rules takes it, and the third reroute (or no other group)
        sends it to staff triage."""
        await self._lock(session, ticket)
        check(Step.REROUTE, ticket.status, who.actor)
        old = await session.get(DeputyGroup, ticket.deputy_group_id or -1)
        passed_over = frozenset(await groups_that_held(session, ticket.id))
        ticket.reroute_count += 1
        rule = f"moved by {who.actor}"
        if to is None and ticket.reroute_count < MAX_REROUTES:
            decision = await route_ticket(session, ticket.area_id, ticket.category_id, passed_over)
            to, rule = decision.group, decision.rule
        if old is not None:
            await self.messages.retire_card(session, ticket, old)
            await self.messages.tell_group(session, ticket, old, render.rerouted_notice)
        detail = {"from_group": old.id if old else None, "reason": reason}
        if to is None:
            ticket.deputy_group_id = None
            ticket.holder_deputy_id = None
            self._record(session, ticket, who, TimelineAction.REROUTED, to_group=None, **detail)
            await self._set_status(
                session, ticket, Step.REROUTE, who, TicketStatus.AWAITING_TRIAGE, tell=True
            )
            return None
        self._record(session, ticket, who, TimelineAction.REROUTED, to_group=to.id, **detail)
        await self._hand_to(session, ticket, to, who, rule, tell=True)
        return to

    async def accept(self, session: AsyncSession, ticket: Ticket, deputy: Deputy) -> None:
        """A deputy of the holding group takes the ticket on (受理)."""
        await self._lock(session, ticket)
        check(Step.ACCEPT, ticket.status, Actor.DEPUTY)
        ticket.holder_deputy_id = deputy.id
        await self._step(session, ticket, Step.ACCEPT, as_deputy(deputy))

    async def start(self, session: AsyncSession, ticket: Ticket, deputy: Deputy) -> None:
        await self._step(session, ticket, Step.START, as_deputy(deputy))

    async def forward(
        self,
        session: AsyncSession,
        ticket: Ticket,
        who: Who,
        department: str,
        expected: date | None = None,
    ) -> None:
        """Handed on to the department that can act (转交部门), with the date it expects."""
        await self._lock(session, ticket)
        check(Step.FORWARD, ticket.status, who.actor)
        ticket.department, ticket.department_expected = department, expected
        await self._step(session, ticket, Step.FORWARD, who, department=department)

    async def reply_from_deputy(
        self,
        session: AsyncSession,
        ticket: Ticket,
        deputy: Deputy,
        text: str,
        copy: tuple[str, str] | None = None,
    ) -> OutboxMessage:
        """Pass a deputy's answer to the resident (with `copy`, a copy of their photo,
        document or voice message, `text` its caption); the first answer marks the ticket
        answered. Returns the message queued for the resident."""
        await self._lock(session, ticket)
        check(Step.ANSWER, ticket.status, Actor.DEPUTY)
        # What follows only reads what this transaction does not change (the resident, the
        # followers, the card's facts) and holds the ticket: its changes, the timeline and the
        # messages are written together at the next flush, not one statement per step.
        with session.no_autoflush:
            resident = await session.get_one(Resident, ticket.resident_id)
            who = as_deputy(deputy)
            self._record(session, ticket, who, TimelineAction.REPLIED, text=text, media=bool(copy))
            t = self.catalogs.get(resident.locale)
            notice = render.deputy_reply_notice(t, ticket, deputy.name, text)
            message = self.messages.tell_resident(
                session, ticket, resident, notice, OutboxPurpose.REPLY, copy
            )
            reply = partial(
                render.deputy_reply_notice, ticket=ticket, deputy_name=deputy.name, text=text
            )
            followers = await followers_of(session, ticket)
            await tell_followers(
                session, self.messages, self.catalogs, ticket, reply, OutboxPurpose.REPLY, followers
            )
            if ticket.holder_deputy_id is None:
                ticket.holder_deputy_id = deputy.id
            if ticket.status != TicketStatus.ANSWERED:
                await self._step(session, ticket, Step.ANSWER, who, followers=followers)
        return message

    async def close(self, session: AsyncSession, ticket: Ticket, who: Who) -> None:
        """Resolved (办结): the resident is told and asked to rate the answer."""
        await self._step(session, ticket, Step.CLOSE, who)
        await self.messages.ask_for_rating(session, ticket)

    async def close_unresolvable(
        self, session: AsyncSession, ticket: Ticket, who: Who, reason: str
    ) -> None:
        """Not resolvable now: the reason is the answer the resident reads."""
        await self._lock(session, ticket)
        check(Step.CLOSE_UNRESOLVABLE, ticket.status, who.actor)
        if not reason.strip():
            raise TransitionError("closing as not resolvable needs the reason the resident reads")
        ticket.close_reason = reason
        await self._step(session, ticket, Step.CLOSE_UNRESOLVABLE, who, reason=reason)
        await self.messages.ask_for_rating(session, ticket)

    async def rate(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        rating: Rating,
        comment: str | None = None,
    ) -> None:
        """The resident's rating (满意度测评): once, for their own closed ticket. Unsatisfied
        reopens it for another round, or, after two reopens, sends it to staff."""
        await self._lock(session, ticket)
        if ticket.resident_id != resident.id:
            raise TransitionError("only the resident who raised a ticket may rate it")
        if ticket.rating is not None:
            raise TransitionError("this ticket has been rated already")
        who = Who(Actor.RESIDENT, resident.id)
        check(Step.RATE, ticket.status, who.actor)
        ticket.rating, ticket.rating_comment = rating, comment
        ticket.rated_at = self.clock.now()
        if rating != Rating.UNSATISFIED:
            await self._step(session, ticket, Step.RATE, who, rating=rating.value)
            return
        self._record(session, ticket, who, TimelineAction.RATED, rating=rating.value)
        if ticket.reopen_count < MAX_REOPENS:
            await self.reopen(session, ticket, SYSTEM)
        else:
            await self.escalate(session, ticket, SYSTEM, Escalation.STAFF)

    async def reopen(self, session: AsyncSession, ticket: Ticket, who: Who) -> None:
        """Another round after an unsatisfied rating: the rating is kept on the timeline and
        cleared on the ticket, so the next answer can be rated."""
        check(Step.REOPEN, ticket.status, who.actor)
        ticket.reopen_count += 1
        ticket.rating = ticket.rating_comment = ticket.rated_at = None
        ticket.closed_at = None
        await self._step(session, ticket, Step.REOPEN, who, round=ticket.reopen_count + 1)

    async def merge(self, session: AsyncSession, ticket: Ticket, into: Ticket, who: Who) -> None:
        """The same problem raised by several residents is handled as one (共性问题)."""
        if into.id == ticket.id or into.status not in OPEN:
            raise TransitionError("a ticket can only be merged into another open ticket")
        await self._lock(session, ticket)
        check(Step.MERGE, ticket.status, who.actor)
        ticket.merged_into_id = into.id
        await self._step(session, ticket, Step.MERGE, who, into=into.number, merged=into.number)

    async def escalate(
        self, session: AsyncSession, ticket: Ticket, who: Who, kind: Escalation
    ) -> None:
        await self._lock(session, ticket)
        # A deputy hands a ticket only to the street's staff (转工作人员).
        step = Step.TO_STAFF if who.actor == Actor.DEPUTY else Step.ESCALATE
        check(step, ticket.status, who.actor)
        if step == Step.TO_STAFF and kind != Escalation.STAFF:
            raise TransitionError("a deputy hands a ticket to the street's staff only")
        ticket.escalation = kind
        await self._step(session, ticket, step, who, kind=kind.value)

    async def extend(
        self, session: AsyncSession, ticket: Ticket, who: Who, reason: str, until: date
    ) -> None:
        """Staff extend the answer deadline once, with a reason (see `bot.core.deadlines`)."""
        if who.actor != Actor.STAFF:
            raise TransitionError(f"{who.actor} may not extend a deadline")
        await self._lock(session, ticket)
        await deadlines.extend(
            session,
            ticket,
            reason,
            until,
            self.clock.now(),
            staff_id=who.id,
            timezone=self.timezone,
        )

    # --- lookups for the front doors ------------------------------------------------------

    async def ticket_of_message(
        self, session: AsyncSession, address: str, receipt: str
    ) -> Ticket | None:
        """The ticket a message the system delivered is about (a card a deputy replies to)."""
        return await ticket_of_delivered(session, address, receipt)

    async def deputy_of_group(
        self, session: AsyncSession, channel: str, address: str, group_id: int | None
    ) -> Deputy | None:
        """The deputy writing from this address, if they are in the directory (active) and
        belong to the group."""
        if group_id is None:
            return None
        return await deputy_in_group(session, channel, address, group_id)

    # --- how steps are applied ------------------------------------------------------------

    async def _step(
        self,
        session: AsyncSession,
        ticket: Ticket,
        step: Step,
        who: Who,
        merged: str | None = None,
        followers: list[Ticket] | None = None,
        **detail: object,
    ) -> None:
        await self._lock(session, ticket)
        transition = check(step, ticket.status, who.actor)
        await self._set_status(
            session,
            ticket,
            step,
            who,
            transition.target,
            transition.tell_resident,
            merged,
            followers=followers,
            **detail,
        )

    async def _set_status(
        self,
        session: AsyncSession,
        ticket: Ticket,
        step: Step,
        who: Who,
        status: TicketStatus,
        tell: bool,
        merged: str | None = None,
        notice: str | None = None,
        followers: list[Ticket] | None = None,
        **detail: object,
    ) -> None:
        """Record the new status, set the deadlines it brings, tell the resident (`notice`, or
        the status itself) and its followers (`followers`, when the caller read them already)
        and show the group's card the change."""
        previous, ticket.status = ticket.status, status
        now = self.clock.now()
        ticket.updated_at = now
        if status in (TicketStatus.CLOSED, TicketStatus.UNRESOLVABLE):
            ticket.closed_at = now
        if previous != status:
            self._record(
                session,
                ticket,
                who,
                TimelineAction.STATUS_CHANGED,
                step=step.value,
                **{"from": previous.value, "to": status.value},
                **detail,
            )
        await deadlines.schedule(session, ticket, step, now, timezone=self.timezone)
        if tell and (previous != status or notice):
            resident = await session.get_one(Resident, ticket.resident_id)
            t = self.catalogs.get(resident.locale)
            text = notice or render.status_notice(t, ticket, merged)
            self.messages.tell_resident(session, ticket, resident, text, OutboxPurpose.STATUS)
            if previous != status and status != TicketStatus.MERGED:
                notice_for = partial(render.status_notice, ticket=ticket)
                await tell_followers(
                    session,
                    self.messages,
                    self.catalogs,
                    ticket,
                    notice_for,
                    OutboxPurpose.STATUS,
                    followers,
                )
        await self.messages.refresh_card(session, ticket)

    async def _hand_to(
        self,
        session: AsyncSession,
        ticket: Ticket,
        group: DeputyGroup,
        who: Who,
        rule: str,
        *,
        tell: bool,
    ) -> None:
        """The ticket goes to `group`: recorded with the rule that chose it; the resident is
        told which group (when `tell`), and the group gets the card."""
        ticket.deputy_group_id = group.id
        ticket.holder_deputy_id = None
        self._record(session, ticket, who, TimelineAction.ROUTED, group_id=group.id, rule=rule)
        resident = await session.get_one(Resident, ticket.resident_id)
        notice = render.handed_to_notice(self.catalogs.get(resident.locale), ticket, group)
        # A new group starts the deadlines afresh, whether staff assigned or a group passed it on.
        await self._set_status(
            session, ticket, Step.ASSIGN, who, TicketStatus.ASSIGNED, tell, notice=notice
        )
        await self.messages.queue_card(session, ticket, group)

    async def hold(self, session: AsyncSession, ticket: Ticket) -> None:
        """Read the ticket afresh and hold its row until the commit (for a step taken
        elsewhere in the core)."""
        await self._lock(session, ticket)

    async def _lock(self, session: AsyncSession, ticket: Ticket) -> None:
        """Read the ticket afresh and hold its row until the commit (PostgreSQL), so that two
        deputies pressing at once take their steps one after the other, each from the state
        the other left. Once held, nobody else changes it before the commit: a later step of
        the same transaction reads and writes nothing more for it (its changes are flushed
        together, one UPDATE)."""
        if ticket.id in _held(session):
            return
        await session.flush()
        await session.refresh(ticket, with_for_update=True)
        _held(session).add(ticket.id)  # in the transaction the read began, if none was

    async def held(self, session: AsyncSession, ticket_id: int) -> Ticket | None:
        """The ticket, read and held until the commit (as a step holds it): for a front door
        about to take a step on it, one read instead of a read and then the hold."""
        if ticket_id in _held(session):
            return await session.get(Ticket, ticket_id)
        await session.flush()
        ticket = await session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
        if ticket is not None:
            _held(session).add(ticket.id)
        return ticket

    def _record(
        self,
        session: AsyncSession,
        ticket: Ticket,
        who: Who,
        action: TimelineAction,
        **detail: object,
    ) -> None:
        record(session, ticket, who, action, self.clock.now(), **detail)


HELD = "tickets_held"  # in a session's `info`: (its transaction, the ids of the tickets it holds)


def _held(session: AsyncSession) -> set[int]:
    """The tickets this session's current transaction holds (read FOR UPDATE): a new
    transaction, after a commit or a rollback, holds none, and neither does a savepoint (a
    lock taken in one is let go if it is rolled back)."""
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    kept = session.info.get(HELD)
    if kept is None or kept[0] is not transaction:
        kept = session.info[HELD] = (transaction, set())
    return kept[1]
