"""After a reception: the deputies on duty record which of them came (attendance, 代表进站)
and what residents raised there; each issue becomes a ticket of the normal loop, linked to the
reception and to the resident who signed up, who follows it like any other. Someone who came
without signing up (现场群众) gets a claim code with their issue's number: sent to the bot, it
makes the ticket theirs to follow. Closing the record asks the residents who checked in to rate
the reception (满意度测评)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reception_signups import CODE_ALPHABET
from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal
from bot.core.tickets import TicketDesk
from bot.core.timeline import Who, record
from bot.delivery.outbox import Action, Content, Recipient, enqueue
from bot.text import receptions as words
from bot.text.render import rating_label
from storage.models import (
    Actor,
    Deputy,
    OutboxPurpose,
    Rating,
    Reception,
    ReceptionDuty,
    ReceptionSignup,
    ReceptionStatus,
    ReceptionTicket,
    Resident,
    SignupStatus,
    Ticket,
    TimelineAction,
)

RECORD_WINDOW = timedelta(days=7)  # a reception's record stays open this long after its end
RATE = "rrate"  # the action of the question: rrate_<rating>:<sign-up id>
# Longer than a check-in code: a claim code guessed would hand someone else's issue over.
CLAIM_CODE_LENGTH = 6


@dataclass
class Raised:
    ticket: Ticket
    signup: ReceptionSignup


@dataclass
class WalkIn:
    """An issue raised by someone who had not signed up, and the code that lets them claim it."""

    ticket: Ticket
    claim_code: str


class ReceptionOutcomes:
    def __init__(self, receptions: ReceptionDesk, tickets: TicketDesk) -> None:
        self.receptions = receptions
        self.tickets = tickets
        self.clock = receptions.clock

    async def to_record(self, session: AsyncSession, group_id: int) -> Reception | None:
        """The group's reception whose record is open: begun, ended at most a week ago, not
        closed; the latest."""
        now = self.clock.now()
        return await session.scalar(
            select(Reception)
            .where(
                Reception.group_id == group_id,
                Reception.status == ReceptionStatus.SCHEDULED,
                Reception.starts_at <= now,
                Reception.ends_at > now - RECORD_WINDOW,
                Reception.closed_at.is_(None),
            )
            .order_by(Reception.starts_at.desc())
            .limit(1)
        )

    def on_duty(self, reception: Reception, deputy: Deputy) -> bool:
        """The deputies on duty keep the record; with none named, any deputy of the group."""
        duties = reception.duties
        return not duties or any(duty.deputy_id == deputy.id for duty in duties)

    async def mark_attendance(
        self, session: AsyncSession, reception: Reception, deputy_id: int, came: bool
    ) -> ReceptionDuty:
        self._open(reception)
        duty = next((d for d in reception.duties if d.deputy_id == deputy_id), None)
        if duty is None:
            raise ReceptionRefused(Refusal.NOT_ON_DUTY)
        duty.attended = came
        return duty

    async def raise_issue(
        self, session: AsyncSession, reception: Reception, code: str, text: str, key: str
    ) -> Raised:
        """An issue a signed-up resident raised: a ticket of the normal loop, linked here;
        the resident is told its number. `key` makes a repeated command make one ticket."""
        self._open(reception)
        signup = await session.scalar(
            select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.code == code.strip().upper(),
                ReceptionSignup.status == SignupStatus.CONFIRMED,
            )
        )
        if signup is None:
            raise ReceptionRefused(Refusal.UNKNOWN_CODE)
        resident = await session.get_one(Resident, signup.resident_id)
        submission = await self.tickets.submit_opinion(
            session, resident, text.strip(), f"reception:{reception.id}:{key}"
        )
        ticket = submission.ticket
        linked = await session.scalar(
            select(ReceptionTicket.id).where(ReceptionTicket.ticket_id == ticket.id)
        )
        if linked is None:
            session.add(
                ReceptionTicket(
                    reception_id=reception.id,
                    ticket_id=ticket.id,
                    signup_id=signup.id,
                    created_at=self.clock.now(),
                )
            )
            t = self.receptions.catalogs.get(resident.locale)
            text = words.raised(t, reception, ticket.number, self.receptions.timezone)
            enqueue(
                session,
                Recipient.resident(resident.id),
                OutboxPurpose.RECEPTION,
                Content(text),
                self.clock.now(),
                ticket_id=ticket.id,
            )
        return Raised(ticket, signup)

    async def raise_walk_in(
        self, session: AsyncSession, reception: Reception, text: str, key: str
    ) -> WalkIn:
        """An issue raised by someone who came without signing up: a ticket of the normal
        loop, routed by the station's area, raised by a resident the bot cannot reach yet.
        The deputies give them the claim code; until it is claimed, an answer that cannot be
        delivered makes the group hear that it is theirs to pass on in person."""
        self._open(reception)
        intake_key = f"reception:{reception.id}:walk-in:{key}"
        made = await session.scalar(
            select(ReceptionTicket)
            .join(Ticket, Ticket.id == ReceptionTicket.ticket_id)
            .where(Ticket.intake_key == intake_key)
        )
        if made is not None and made.claim_code is not None:  # the same command again
            return WalkIn(await session.get_one(Ticket, made.ticket_id), made.claim_code)
        now = self.clock.now()
        person = Resident(
            display_name="",
            locale=self.receptions.catalogs.default_locale,
            area_id=reception.station.area_id,
            created_at=now,
        )
        session.add(person)
        await session.flush()
        submission = await self.tickets.submit_opinion(session, person, text.strip(), intake_key)
        code = await self._claim_code(session)
        session.add(
            ReceptionTicket(
                reception_id=reception.id,
                ticket_id=submission.ticket.id,
                claim_code=code,
                created_at=now,
            )
        )
        return WalkIn(submission.ticket, code)

    async def claim(self, session: AsyncSession, resident: Resident, code: str) -> Ticket:
        """Someone who raised an issue at a reception sends its claim code: the ticket is
        theirs from now on, to follow like any other (its further news comes to them)."""
        link = await session.scalar(
            select(ReceptionTicket)
            .where(ReceptionTicket.claim_code == code.strip().upper())
            .with_for_update()
        )
        if link is None or link.claimed_at is not None:
            raise ReceptionRefused(Refusal.UNKNOWN_CLAIM)
        ticket = await session.get_one(Ticket, link.ticket_id)
        ticket.resident_id = resident.id
        link.claimed_at = self.clock.now()
        who = Who(Actor.RESIDENT, resident.id)
        record(session, ticket, who, TimelineAction.CLAIMED, link.claimed_at)
        return ticket

    async def reception_of(self, session: AsyncSession, ticket: Ticket) -> Reception | None:
        """The reception a ticket was raised at, if any."""
        return await session.scalar(
            select(Reception)
            .join(ReceptionTicket, ReceptionTicket.reception_id == Reception.id)
            .where(ReceptionTicket.ticket_id == ticket.id)
        )

    async def _claim_code(self, session: AsyncSession) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))
            taken = await session.scalar(
                select(ReceptionTicket.id).where(ReceptionTicket.claim_code == code)
            )
            if taken is None:
                return code

    async def close_record(self, session: AsyncSession, reception: Reception) -> int:
        """Attendance and outcomes are recorded: the residents who checked in are asked to
        rate the reception; how many were asked."""
        self._open(reception)
        now = self.clock.now()
        reception.closed_at = now
        came = await session.scalars(
            select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.checked_in_at.is_not(None),
            )
        )
        asked = 0
        for signup in came:
            resident = await session.get_one(Resident, signup.resident_id)
            t = self.receptions.catalogs.get(resident.locale)
            actions = tuple(
                Action(f"{RATE}_{rating.value}", rating_label(t, rating), signup.id)
                for rating in Rating
            )
            question = words.rating_question(t, reception, self.receptions.timezone)
            enqueue(
                session,
                Recipient.resident(resident.id),
                OutboxPurpose.RATING,
                Content(question, actions),
                now,
            )
            asked += 1
        return asked

    async def rate(
        self, session: AsyncSession, signup: ReceptionSignup, resident: Resident, rating: Rating
    ) -> None:
        if signup.resident_id != resident.id or signup.checked_in_at is None:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        if signup.rating is not None:
            raise ReceptionRefused(Refusal.ALREADY_RATED)
        signup.rating = rating
        signup.rated_at = self.clock.now()

    async def outcome_numbers(self, session: AsyncSession, reception: Reception) -> list[str]:
        rows = await session.scalars(
            select(Ticket.number)
            .join(ReceptionTicket, ReceptionTicket.ticket_id == Ticket.id)
            .where(ReceptionTicket.reception_id == reception.id)
            .order_by(Ticket.id)
        )
        return list(rows)

    def _open(self, reception: Reception) -> None:
        now = self.clock.now()
        if reception.status == ReceptionStatus.CANCELLED:
            raise ReceptionRefused(Refusal.CANCELLED)
        if reception.starts_at > now:
            raise ReceptionRefused(Refusal.NOT_BEGUN)
        if reception.closed_at is not None or reception.ends_at <= now - RECORD_WINDOW:
            raise ReceptionRefused(Refusal.RECORD_CLOSED)
