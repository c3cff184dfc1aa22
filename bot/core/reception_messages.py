"""What receptions send on their own initiative, through the outbox in the caller's
transaction: announcements to everyone signed up and subscribed, a freed place to the resident
who gets it, and a change with less than three days' notice to the street's staff."""

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.outbox import Action, Content, Recipient, enqueue
from bot.text import receptions as words
from bot.text.catalogs import Catalogs, Texts
from storage.models import (
    AreaKind,
    OutboxPurpose,
    Reception,
    ReceptionSignup,
    ReceptionSubscription,
    RecipientKind,
    Resident,
    SignupStatus,
)
from storage.queries.areas import area_path
from storage.queries.contacts import reachable

log = logging.getLogger(__name__)

OPEN = "rcp"  # the action that opens a reception's details
CANCEL_SIGNUP = "rcx"  # the action that cancels a sign-up


class ReceptionMessages:
    def __init__(self, clock: Clock, catalogs: Catalogs, timezone: str) -> None:
        self.clock = clock
        self.catalogs = catalogs
        self.timezone = timezone

    def open_action(self, t: Texts, reception: Reception) -> Action:
        return Action(OPEN, t.gettext("Details and sign-up"), reception.id)

    def cancel_action(self, t: Texts, signup: ReceptionSignup) -> Action:
        return Action(CANCEL_SIGNUP, t.gettext("Cancel my sign-up"), signup.id)

    async def audience(
        self, session: AsyncSession, reception: Reception, signed_up: Iterable[int] = ()
    ) -> list[Resident]:
        """Everyone signed up (or waiting) and everyone following the station, once each."""
        ids = set(signed_up)
        ids.update(
            await session.scalars(
                select(ReceptionSignup.resident_id).where(
                    ReceptionSignup.reception_id == reception.id,
                    ReceptionSignup.status != SignupStatus.CANCELLED,
                )
            )
        )
        ids.update(
            await session.scalars(
                select(ReceptionSubscription.resident_id).where(
                    ReceptionSubscription.station_id == reception.station_id
                )
            )
        )
        if not ids:
            return []
        rows = await session.scalars(
            select(Resident).where(Resident.id.in_(ids)).order_by(Resident.id)
        )
        return list(rows)

    async def announce_new(self, session: AsyncSession, reception: Reception) -> int:
        residents = await self.audience(session, reception)
        for resident in residents:
            t = self.catalogs.get(resident.locale)
            content = Content(
                words.announced(t, reception, self.timezone), (self.open_action(t, reception),)
            )
            self._queue(session, resident, content)
        return len(residents)

    async def announce_change(
        self, session: AsyncSession, reception: Reception, before: dict[str, str]
    ) -> int:
        """`before`: the reception's old window in each locale, as the residents read it."""
        residents = await self.audience(session, reception)
        for resident in residents:
            t = self.catalogs.get(resident.locale)
            text = words.changed(t, reception, self.timezone, before[t.locale])
            self._queue(session, resident, Content(text, (self.open_action(t, reception),)))
        return len(residents)

    async def announce_cancel(
        self, session: AsyncSession, reception: Reception, signed_up: list[int]
    ) -> int:
        residents = await self.audience(session, reception, signed_up)
        for resident in residents:
            t = self.catalogs.get(resident.locale)
            self._queue(session, resident, Content(words.cancelled(t, reception, self.timezone)))
        return len(residents)

    async def tell_promoted(
        self, session: AsyncSession, reception: Reception, signup: ReceptionSignup
    ) -> None:
        resident = await session.get_one(Resident, signup.resident_id)
        t = self.catalogs.get(resident.locale)
        text = words.promoted(t, reception, signup, self.timezone)
        self._queue(session, resident, Content(text, (self.cancel_action(t, signup),)))

    async def tell_moved_to_waitlist(
        self, session: AsyncSession, reception: Reception, signup: ReceptionSignup
    ) -> None:
        resident = await session.get_one(Resident, signup.resident_id)
        t = self.catalogs.get(resident.locale)
        text = words.moved_to_waitlist(t, reception, self.timezone)
        self._queue(session, resident, Content(text, (self.cancel_action(t, signup),)))

    async def flag_late(self, session: AsyncSession, reception: Reception, what: str) -> bool:
        """Tell the staff chat of the station's street; False when the directory names none
        (the log says so, and the command line tells the staff member who made the change)."""
        staff = await self.staff_chat(session, reception)
        if staff is None:
            log.warning(
                "reception %s changed with less than three days' notice; the directory names "
                "no staff chat for its street",
                reception.id,
            )
            return False
        t = self.catalogs.get(None)
        text = words.late_change_flag(t, reception, self.timezone, what)
        enqueue(session, staff, OutboxPurpose.RECEPTION_FLAG, Content(text), self.clock.now())
        return True

    async def staff_chat(self, session: AsyncSession, reception: Reception) -> Recipient | None:
        for area in reversed(await area_path(session, reception.station.area_id)):
            if area.kind == AreaKind.STREET:
                recipient = Recipient(RecipientKind.STAFF_CHAT, area.id)
                return recipient if await reachable(session, recipient.kind, area.id) else None
        return None

    def _queue(self, session: AsyncSession, resident: Resident, content: Content) -> None:
        recipient = Recipient.resident(resident.id)
        enqueue(session, recipient, OutboxPurpose.RECEPTION, content, self.clock.now())
