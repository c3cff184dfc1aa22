"""Micro receptions on request (微接待): a resident asks to meet a deputy, with a topic and the
days and times of day that suit them. The request is a ticket of the normal loop (numbered,
routed to the responsible deputy group as a card, with its deadlines and the supervisor's
warnings), linked to a request row. A deputy of the group proposes one or more slots from the
chat; the resident picks one (a micro reception is scheduled, with them signed up) or declines
them all; both are told."""

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk, ReceptionPlan, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.delivery.outbox import Action, Content, Recipient, enqueue
from bot.text import receptions as words
from storage.models import (
    Deputy,
    DeputyGroup,
    OutboxPurpose,
    Reception,
    ReceptionKind,
    ReceptionRequest,
    ReceptionSignup,
    RequestStatus,
    Resident,
    Ticket,
)

PICK = "rpick"  # rpick<index>:<request id>
DECLINE = "rdecl"  # rdecl:<request id>
MICRO_CAPACITY = 3  # the resident and a neighbour or two


class Days(enum.StrEnum):
    WEEKDAYS = "weekdays"
    WEEKEND = "weekend"
    ANY = "any"


class TimeOfDay(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    ANY = "any"


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


class ReceptionRequests:
    def __init__(self, receptions: ReceptionDesk, tickets: TicketDesk) -> None:
        self.receptions = receptions
        self.tickets = tickets
        self.clock = receptions.clock

    async def ask(
        self,
        session: AsyncSession,
        resident: Resident,
        topic: str,
        days: Days,
        times: TimeOfDay,
        key: str,
    ) -> tuple[ReceptionRequest, Ticket]:
        """The request, as a ticket of the loop; asking twice with the same key makes one."""
        t = self.receptions.catalogs.get(None)
        text = words.request_text(t, topic, days.value, times.value)
        submission = await self.tickets.submit_opinion(session, resident, text, f"micro:{key}")
        request = await session.scalar(
            select(ReceptionRequest).where(ReceptionRequest.ticket_id == submission.ticket.id)
        )
        if request is None:
            request = ReceptionRequest(
                ticket_id=submission.ticket.id,
                resident_id=resident.id,
                topic=topic.strip(),
                days=days.value,
                times=times.value,
                status=RequestStatus.REQUESTED,
                slots=[],
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
            session.add(request)
            await session.flush()
        return request, submission.ticket

    async def get(self, session: AsyncSession, request_id: int) -> ReceptionRequest | None:
        return await session.get(ReceptionRequest, request_id)

    async def by_number(self, session: AsyncSession, number: str) -> ReceptionRequest | None:
        """The request whose ticket has this number (A-2026-000123), if it is one."""
        return await session.scalar(
            select(ReceptionRequest)
            .join(Ticket, Ticket.id == ReceptionRequest.ticket_id)
            .where(Ticket.number == number.strip().upper())
        )

    async def ticket_of(self, session: AsyncSession, request: ReceptionRequest) -> Ticket:
        return await session.get_one(Ticket, request.ticket_id)

    async def signup(
        self, session: AsyncSession, reception: Reception, resident: Resident
    ) -> ReceptionSignup:
        found = await Signups(self.receptions).signup_of(session, reception, resident)
        assert found is not None
        return found

    async def of_ticket(self, session: AsyncSession, ticket: Ticket) -> ReceptionRequest | None:
        return await session.scalar(
            select(ReceptionRequest).where(ReceptionRequest.ticket_id == ticket.id)
        )

    async def propose(
        self,
        session: AsyncSession,
        request: ReceptionRequest,
        deputy: Deputy,
        slots: list[Slot],
    ) -> None:
        """A deputy proposes slots; the resident gets one button per slot and one to decline."""
        now = self.clock.now()
        if request.status == RequestStatus.SCHEDULED:
            raise ReceptionRefused(Refusal.ALREADY_SCHEDULED)
        if not slots or any(slot.ends_at <= slot.starts_at for slot in slots):
            raise ReceptionRefused(Refusal.ENDS_BEFORE_START)
        if any(slot.starts_at <= now for slot in slots):
            raise ReceptionRefused(Refusal.IN_THE_PAST)
        request.slots = [[s.starts_at.isoformat(), s.ends_at.isoformat()] for s in slots]
        request.proposed_by_id = deputy.id
        request.status = RequestStatus.PROPOSED
        request.updated_at = now
        resident = await session.get_one(Resident, request.resident_id)
        ticket = await session.get_one(Ticket, request.ticket_id)
        t = self.receptions.catalogs.get(resident.locale)
        timezone = self.receptions.timezone
        actions = [
            Action(
                f"{PICK}{index}",
                words.slot_label(t, slot.starts_at, slot.ends_at, timezone),
                request.id,
            )
            for index, slot in enumerate(slots)
        ]
        actions.append(Action(DECLINE, t.gettext("None of these suits me"), request.id))
        text = words.slots_proposed(t, ticket.number, deputy.name)
        enqueue(
            session,
            Recipient.resident(resident.id),
            OutboxPurpose.RECEPTION,
            Content(text, tuple(actions)),
            now,
            ticket_id=ticket.id,
        )

    async def pick(
        self, session: AsyncSession, request: ReceptionRequest, resident: Resident, index: int
    ) -> Reception:
        """The resident takes a slot: a micro reception with the proposing deputy on duty, the
        resident signed up; the group is told."""
        if request.resident_id != resident.id:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        if request.status != RequestStatus.PROPOSED or not 0 <= index < len(request.slots):
            raise ReceptionRefused(Refusal.NO_PROPOSAL)
        ticket = await session.get_one(Ticket, request.ticket_id)
        group = await session.get_one(DeputyGroup, ticket.deputy_group_id or -1)
        deputy = await session.get_one(Deputy, request.proposed_by_id or -1)
        starts, ends = (datetime.fromisoformat(value) for value in request.slots[index])
        plan = ReceptionPlan(
            kind=ReceptionKind.MICRO,
            station=group.station,
            group=group,
            starts_at=starts,
            ends_at=ends,
            capacity=MICRO_CAPACITY,
            deputies=(deputy,),
            place=group.station.address or group.station.name,
            theme=request.topic[:300],
        )
        # Checks: past, overlap. The resident picked a time the deputy proposed.
        outcome = await self.receptions.create(session, plan, by=deputy.name)
        reception = outcome.reception
        signup = await Signups(self.receptions).sign_up(session, reception, resident, True)
        signup.topic = request.topic
        request.status = RequestStatus.SCHEDULED
        request.reception_id = reception.id
        request.updated_at = self.clock.now()
        self._tell_group(
            session,
            group,
            ticket,
            words.slot_taken(
                self.receptions.catalogs.get(None),
                ticket.number,
                reception,
                self.receptions.timezone,
            ),
        )
        return reception

    async def decline(
        self, session: AsyncSession, request: ReceptionRequest, resident: Resident
    ) -> None:
        if request.resident_id != resident.id:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        if request.status != RequestStatus.PROPOSED:
            raise ReceptionRefused(Refusal.NO_PROPOSAL)
        request.status = RequestStatus.DECLINED
        request.updated_at = self.clock.now()
        ticket = await session.get_one(Ticket, request.ticket_id)
        group = await session.get_one(DeputyGroup, ticket.deputy_group_id or -1)
        t = self.receptions.catalogs.get(None)
        self._tell_group(session, group, ticket, words.slots_declined(t, ticket.number))

    def _tell_group(
        self, session: AsyncSession, group: DeputyGroup, ticket: Ticket, text: str
    ) -> None:
        enqueue(
            session,
            Recipient.deputy_group(group.id),
            OutboxPurpose.GROUP_NOTICE,
            Content(text),
            self.clock.now(),
            ticket_id=ticket.id,
        )
