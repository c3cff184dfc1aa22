"""Residents and receptions: sign up (a place, or the waitlist when full) with a short
check-in code, say what they want to raise, cancel (the first on the waitlist gets the place
and is told), follow a station's announcements; and check-in at the reception."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.receptions import ReceptionDesk, ReceptionRefused, Refusal, hold
from storage.models import (
    DeputyGroup,
    Reception,
    ReceptionSignup,
    ReceptionStatus,
    ReceptionSubscription,
    RecipientKind,
    Resident,
    SignupStatus,
    Station,
)
from storage.queries.contacts import recipient_at

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the door
CODE_LENGTH = 4
CHECK_IN_OPENS = timedelta(hours=24)  # before a reception begins; it closes when it ends
TOPIC_LIMIT = 300  # characters of "what I want to raise"


@dataclass
class Cancelled:
    signup: ReceptionSignup
    promoted: list[ReceptionSignup]


class Signups:
    """What residents do with receptions, and check-in; one transaction is the caller's."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        self.clock = desk.clock

    async def reception(self, session: AsyncSession, reception_id: int) -> Reception | None:
        return await session.get(Reception, reception_id)

    async def signup_of(
        self, session: AsyncSession, reception: Reception, resident: Resident
    ) -> ReceptionSignup | None:
        return await session.scalar(
            select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.resident_id == resident.id,
            )
        )

    async def sign_up(
        self, session: AsyncSession, reception: Reception, resident: Resident, show_name: bool
    ) -> ReceptionSignup:
        """A place if one is free, else the waitlist. The reception's row is held until the
        commit (PostgreSQL), so two residents cannot take the last place at once."""
        await self._hold(session, reception)
        now = self.clock.now()
        if reception.status == ReceptionStatus.CANCELLED:
            raise ReceptionRefused(Refusal.CANCELLED)
        if reception.starts_at <= now:
            raise ReceptionRefused(Refusal.STARTED)
        signup = await self.signup_of(session, reception, resident)
        if signup is not None and signup.status != SignupStatus.CANCELLED:
            raise ReceptionRefused(Refusal.ALREADY_SIGNED_UP)
        full = await self.desk.taken(session, reception) >= reception.capacity
        status = SignupStatus.WAITLISTED if full else SignupStatus.CONFIRMED
        if signup is None:
            signup = ReceptionSignup(
                reception_id=reception.id,
                resident_id=resident.id,
                code=await self._new_code(session, reception),
            )
            session.add(signup)
        signup.status = status
        signup.show_name = show_name
        signup.topic = None
        signup.queued_at = now
        signup.placed_at = None if full else now
        signup.updated_at = now
        signup.checked_in_at = None
        await session.flush()
        return signup

    async def set_topic(
        self, session: AsyncSession, signup: ReceptionSignup, resident: Resident, topic: str
    ) -> None:
        if signup.resident_id != resident.id or signup.status == SignupStatus.CANCELLED:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        signup.topic = topic.strip()[:TOPIC_LIMIT] or None
        signup.updated_at = self.clock.now()

    async def cancel(
        self, session: AsyncSession, signup: ReceptionSignup, resident: Resident
    ) -> Cancelled:
        if signup.resident_id != resident.id or signup.status == SignupStatus.CANCELLED:
            raise ReceptionRefused(Refusal.NOT_SIGNED_UP)
        reception = await session.get_one(Reception, signup.reception_id)
        await self._hold(session, reception)
        if reception.status == ReceptionStatus.CANCELLED:
            raise ReceptionRefused(Refusal.CANCELLED)
        if reception.starts_at <= self.clock.now():
            raise ReceptionRefused(Refusal.STARTED)
        signup.status = SignupStatus.CANCELLED
        signup.updated_at = self.clock.now()
        await session.flush()
        return Cancelled(signup, await self.desk.fill_places(session, reception))

    async def subscribe(self, session: AsyncSession, resident: Resident, station: Station) -> bool:
        """Follow the station's announcements; False if already following."""
        if await self._subscription(session, resident, station) is not None:
            return False
        session.add(
            ReceptionSubscription(
                resident_id=resident.id, station_id=station.id, created_at=self.clock.now()
            )
        )
        return True

    async def unsubscribe(
        self, session: AsyncSession, resident: Resident, station: Station
    ) -> bool:
        subscription = await self._subscription(session, resident, station)
        if subscription is None:
            return False
        await session.delete(subscription)
        return True

    async def subscribed(self, session: AsyncSession, resident: Resident, station: Station) -> bool:
        return await self._subscription(session, resident, station) is not None

    async def check_in(
        self, session: AsyncSession, reception: Reception, code: str
    ) -> ReceptionSignup:
        """At the reception: the resident with this code is there. Every door obeys the same
        window: from CHECK_IN_OPENS before the start until the end. A code of another reception
        says which one (ReceptionRefused.detail: its id)."""
        code = code.strip().upper()
        if reception.status == ReceptionStatus.CANCELLED:
            raise ReceptionRefused(Refusal.CANCELLED)
        now = self.clock.now()
        if reception.starts_at > now + CHECK_IN_OPENS:
            raise ReceptionRefused(Refusal.CHECK_IN_NOT_OPEN)
        if reception.ends_at <= now:
            raise ReceptionRefused(Refusal.OVER)
        signup = await session.scalar(
            select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id, ReceptionSignup.code == code
            )
        )
        if signup is None:
            elsewhere = await session.scalar(
                select(ReceptionSignup.reception_id)
                .join(Reception, Reception.id == ReceptionSignup.reception_id)
                .where(
                    ReceptionSignup.code == code,
                    ReceptionSignup.status == SignupStatus.CONFIRMED,
                    Reception.status == ReceptionStatus.SCHEDULED,
                    Reception.ends_at > self.clock.now(),
                )
                .order_by(Reception.starts_at)
                .limit(1)
            )
            if elsewhere is not None:
                raise ReceptionRefused(Refusal.OTHER_RECEPTION, str(elsewhere))
            raise ReceptionRefused(Refusal.UNKNOWN_CODE)
        if signup.status != SignupStatus.CONFIRMED:
            raise ReceptionRefused(Refusal.NOT_CONFIRMED)
        if signup.checked_in_at is not None:
            raise ReceptionRefused(Refusal.ALREADY_CHECKED_IN)
        signup.checked_in_at = self.clock.now()
        return signup

    async def signed_up(
        self, session: AsyncSession, reception: Reception
    ) -> tuple[list[tuple[ReceptionSignup, str]], int]:
        """Who has a place (with their name, shown only where they agreed), and how many
        wait."""
        confirmed: list[tuple[ReceptionSignup, str]] = []
        waiting = 0
        for signup, name in await self.listed(session, reception):
            if signup.status == SignupStatus.CONFIRMED:
                confirmed.append((signup, name))
            else:
                waiting += 1
        return confirmed, waiting

    async def listed(
        self, session: AsyncSession, reception: Reception
    ) -> list[tuple[ReceptionSignup, str]]:
        """Every sign-up not cancelled, with the resident's name, in the order they asked."""
        rows = await session.execute(
            select(ReceptionSignup, Resident.display_name)
            .join(Resident, Resident.id == ReceptionSignup.resident_id)
            .where(
                ReceptionSignup.reception_id == reception.id,
                ReceptionSignup.status != SignupStatus.CANCELLED,
            )
            .order_by(ReceptionSignup.queued_at, ReceptionSignup.id)
        )
        return [(signup, name) for signup, name in rows]

    async def current_for_group(
        self, session: AsyncSession, group_id: int, now: datetime
    ) -> list[Reception]:
        """The group's receptions not yet over, soonest first."""
        rows = await session.scalars(
            select(Reception)
            .where(
                Reception.group_id == group_id,
                Reception.status == ReceptionStatus.SCHEDULED,
                Reception.ends_at > now,
            )
            .order_by(Reception.starts_at, Reception.id)
        )
        return list(rows)

    async def group_at(
        self, session: AsyncSession, channel: str, address: str
    ) -> DeputyGroup | None:
        """The deputy group whose chat this is, if any (and still active)."""
        group_id = await recipient_at(session, RecipientKind.DEPUTY_GROUP, channel, address)
        group = await session.get(DeputyGroup, group_id) if group_id is not None else None
        return group if group is not None and group.active else None

    _hold = staticmethod(hold)

    async def _subscription(
        self, session: AsyncSession, resident: Resident, station: Station
    ) -> ReceptionSubscription | None:
        return await session.scalar(
            select(ReceptionSubscription).where(
                ReceptionSubscription.resident_id == resident.id,
                ReceptionSubscription.station_id == station.id,
            )
        )

    async def _new_code(self, session: AsyncSession, reception: Reception) -> str:
        taken = set(
            await session.scalars(
                select(ReceptionSignup.code).where(ReceptionSignup.reception_id == reception.id)
            )
        )
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in taken:
                return code
