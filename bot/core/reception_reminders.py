"""Reminders before a reception, part of the supervisor's sweep: each resident with a place
hears the day before (24 hours ahead) and two hours before, each with a button to cancel; the
deputy group gets the sign-up list the day before. Each is claimed by a unique row in the
transaction that queues it, so it is sent exactly once, across restarts and processes; a
reception moved to a new time is reminded of anew."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.reception_messages import ReceptionMessages
from bot.core.reception_signups import Signups
from bot.core.receptions import ReceptionDesk
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.text import receptions as words
from storage.models import (
    OutboxPurpose,
    Reception,
    ReceptionSignup,
    ReceptionStatus,
    RecipientKind,
    Resident,
    SignupStatus,
)
from storage.queries.receptions import claim_reception_reminder, claimed_reminders

log = logging.getLogger(__name__)

DAY_BEFORE = timedelta(hours=24)
TWO_HOURS = timedelta(hours=2)


@dataclass(frozen=True)
class Due:
    """One reminder due now: to whom, which, for which start."""

    reception_id: int
    recipient: Recipient
    kind: str  # day_before, two_hours, signup_list
    starts_at: datetime  # the start the kind was worked out for

    def key(self) -> tuple[int, str, int, str, datetime]:
        recipient = self.recipient
        return (self.reception_id, str(recipient.kind), recipient.id, self.kind, self.starts_at)


def kind_due(placed_at: datetime, starts_at: datetime, now: datetime) -> str | None:
    """The most urgent reminder due now for a place given at `placed_at` (signed up with
    one, or moved up from the waitlist); none if the place came after it was due (the
    confirmation, or the news of the place, said it all)."""
    for kind, ahead in (("two_hours", TWO_HOURS), ("day_before", DAY_BEFORE)):
        if now >= starts_at - ahead:
            return kind if placed_at < starts_at - ahead else None
    return None


def list_due(reception: Reception, now: datetime, signed_up: int) -> bool:
    """Whether the group's sign-up list is due. The day before, when the reception was set
    (made, or last changed) earlier than that; set later, two hours before, so residents have
    had time to sign up after its announcement. An empty list is not sent: "nobody signed up
    yet" tells the deputies on duty nothing they can act on (/reception shows the list at any
    time); it goes as soon as someone is on it, from its due time on."""
    settled_early = reception.updated_at <= reception.starts_at - DAY_BEFORE
    due = reception.starts_at - (DAY_BEFORE if settled_early else TWO_HOURS)
    return now >= due and signed_up > 0


class ReceptionReminders:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], desk: ReceptionDesk) -> None:
        self.sessionmaker = sessionmaker
        self.desk = desk
        self.signups = Signups(desk)
        self.messages: ReceptionMessages = desk.messages

    async def sweep(self, now: datetime) -> int:
        """Queue the reminders due at `now` not claimed yet; how many were queued."""
        async with self.sessionmaker() as session:
            receptions = list(
                await session.scalars(
                    select(Reception).where(
                        Reception.status == ReceptionStatus.SCHEDULED,
                        Reception.starts_at > now,
                        Reception.starts_at <= now + DAY_BEFORE,
                    )
                )
            )
            if not receptions:
                return 0
            claimed = await claimed_reminders(session, [r.id for r in receptions])
            due: list[Due] = []
            for reception in receptions:
                signups = list(
                    await session.scalars(
                        select(ReceptionSignup).where(
                            ReceptionSignup.reception_id == reception.id,
                            ReceptionSignup.status != SignupStatus.CANCELLED,
                        )
                    )
                )
                if list_due(reception, now, len(signups)):
                    group = Recipient.deputy_group(reception.group_id)
                    due.append(Due(reception.id, group, "signup_list", reception.starts_at))
                for signup in signups:
                    if signup.status != SignupStatus.CONFIRMED:
                        continue
                    placed_at = signup.placed_at or signup.queued_at
                    kind = kind_due(placed_at, reception.starts_at, now)
                    if kind is not None:
                        resident = Recipient.resident(signup.resident_id)
                        due.append(Due(reception.id, resident, kind, reception.starts_at))
        sent = 0
        for reminder in due:
            if reminder.key() in claimed:
                continue
            try:
                async with self.sessionmaker.begin() as session:
                    sent += await self._send(session, reminder, now)
            except Exception:
                log.exception("reminder %s failed; retrying next sweep", reminder)
        return sent

    async def _send(self, session: AsyncSession, reminder: Due, now: datetime) -> int:
        reception = await session.get_one(Reception, reminder.reception_id)
        if reception.status != ReceptionStatus.SCHEDULED:
            return 0
        if reception.starts_at != reminder.starts_at:
            return 0  # moved since the sweep read it: the next sweep works out the right kind
        recipient = (str(reminder.recipient.kind), reminder.recipient.id)
        if not await claim_reception_reminder(
            session, reception.id, recipient, reminder.kind, reception.starts_at, now
        ):
            return 0
        timezone = self.desk.timezone
        if reminder.recipient.kind == RecipientKind.DEPUTY_GROUP:
            t = self.desk.catalogs.get(None)
            signed_up, waiting = await self.signups.signed_up(session, reception)
            text = words.signup_list(t, reception, signed_up, waiting, timezone)
            purpose = OutboxPurpose.RECEPTION_REMINDER
            enqueue(session, reminder.recipient, purpose, Content(text), now)
            return 1
        signup = await session.scalar(
            select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.resident_id == reminder.recipient.id,
                ReceptionSignup.status == SignupStatus.CONFIRMED,
            )
        )
        if signup is None:
            return 0
        resident = await session.get_one(Resident, signup.resident_id)
        t = self.desk.catalogs.get(resident.locale)
        content = Content(
            words.reminder(t, reception, signup, timezone, now),
            (self.messages.cancel_action(t, signup),),
        )
        enqueue(session, reminder.recipient, OutboxPurpose.RECEPTION_REMINDER, content, now)
        return 1
