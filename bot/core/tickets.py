"""Tickets: an opinion comes in, is numbered and routed, a card goes to the deputy group,
and the deputies' replies and status changes go back to the resident."""

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.routing import route_ticket
from bot.core.workflow import check_transition
from bot.delivery.outbox import enqueue
from bot.text import render
from bot.text.catalogs import Catalogs
from storage.models import (
    Deputy,
    DeputyGroup,
    MessageLink,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from storage.queries.areas import area_path
from storage.queries.counters import next_number

log = logging.getLogger(__name__)

OPINION_PREFIX = "A"


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

    async def submit_opinion(
        self, session: AsyncSession, resident: Resident, text: str, intake_key: str
    ) -> Submission:
        """Create, number and route a ticket, and queue its card for the deputy group.
        Submitting the same intake_key again returns the ticket made the first time."""
        existing = await session.scalar(select(Ticket).where(Ticket.intake_key == intake_key))
        if existing is not None:
            group_id = existing.deputy_group_id
            group = await session.get(DeputyGroup, group_id) if group_id is not None else None
            return Submission(existing, group)
        now = self.clock.now()
        group = await route_ticket(session, resident.area_id)
        ticket = Ticket(
            number=await ticket_number(session, OPINION_PREFIX, now.year),
            intake_key=intake_key,
            resident_id=resident.id,
            area_id=resident.area_id,
            deputy_group_id=group.id if group else None,
            text=text,
            status=TicketStatus.NEW,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        await session.flush()
        self._event(session, ticket, "resident", resident.id, "submitted")
        if group is None:
            self._event(session, ticket, "system", None, "unrouted", area_id=resident.area_id)
            log.warning(
                "ticket %s: no deputy group covers its area; staff must assign it", ticket.number
            )
            return Submission(ticket, None)
        self._event(session, ticket, "system", None, "routed", group_id=group.id)
        if group.chat_id is None:
            self._event(
                session, ticket, "system", None, "card_not_sent", reason="group has no chat"
            )
            log.warning(
                "ticket %s: deputy group %s has no chat_id in the directory; its card was not sent",
                ticket.number,
                group.code,
            )
        else:
            card = await self._card(session, ticket, resident)
            enqueue(
                session,
                chat_id=group.chat_id,
                text=card,
                purpose="card",
                ticket_id=ticket.id,
                now=now,
            )
        return Submission(ticket, group)

    async def reply_from_deputy(
        self, session: AsyncSession, ticket: Ticket, deputy: Deputy, text: str
    ) -> None:
        """Pass a deputy's answer to the resident; the first answer marks the ticket answered."""
        resident = await session.get_one(Resident, ticket.resident_id)
        self._event(session, ticket, "deputy", deputy.id, "replied", text=text)
        t = self.catalogs.get(resident.locale)
        self._notify(
            session,
            ticket,
            resident,
            render.deputy_reply_notice(t, ticket, deputy.name, text),
            "reply",
        )
        if ticket.status == TicketStatus.NEW:
            self._set_status(session, ticket, resident, TicketStatus.ANSWERED, "deputy", deputy.id)
            await self._refresh_card(session, ticket, resident, answered_by=deputy.name)

    async def _card(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        answered_by: str | None = None,
    ) -> str:
        path = await area_path(session, ticket.area_id)
        return render.ticket_card(
            self.catalogs.get(None),
            ticket,
            path,
            resident.display_name,
            self.timezone,
            answered_by,
        )

    async def _refresh_card(
        self, session: AsyncSession, ticket: Ticket, resident: Resident, answered_by: str
    ) -> None:
        """Show the group the card's new status, by editing the card already sent."""
        card = await session.scalar(
            select(MessageLink).where(
                MessageLink.ticket_id == ticket.id, MessageLink.purpose == "card"
            )
        )
        if card is None:
            return  # not sent yet: nothing in the group to update
        text = await self._card(session, ticket, resident, answered_by)
        enqueue(
            session,
            chat_id=card.chat_id,
            text=text,
            purpose="card_update",
            ticket_id=ticket.id,
            replaces=card.message_id,
            now=self.clock.now(),
        )

    async def ticket_for_message(
        self, session: AsyncSession, chat_id: int, message_id: int
    ) -> Ticket | None:
        return await session.scalar(
            select(Ticket)
            .join(MessageLink, MessageLink.ticket_id == Ticket.id)
            .where(MessageLink.chat_id == chat_id, MessageLink.message_id == message_id)
        )

    async def deputy_of_group(
        self, session: AsyncSession, telegram_user_id: int, group_id: int | None
    ) -> Deputy | None:
        """The deputy with this Telegram account, if they belong to the group."""
        deputy = await session.scalar(
            select(Deputy).where(Deputy.telegram_user_id == telegram_user_id)
        )
        if deputy is None or group_id is None:
            return None
        await session.refresh(deputy, attribute_names=["groups"])
        return deputy if any(group.id == group_id for group in deputy.groups) else None

    def _set_status(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        status: TicketStatus,
        actor: str,
        actor_id: int | None,
    ) -> None:
        check_transition(ticket.status, status)
        previous, ticket.status = ticket.status, status
        ticket.updated_at = self.clock.now()
        self._event(
            session,
            ticket,
            actor,
            actor_id,
            "status_changed",
            **{"from": previous.value, "to": status.value},
        )
        t = self.catalogs.get(resident.locale)
        self._notify(session, ticket, resident, render.status_notice(t, ticket), "status")

    def _notify(
        self, session: AsyncSession, ticket: Ticket, resident: Resident, text: str, purpose: str
    ) -> None:
        if resident.telegram_user_id is None:
            raise ValueError(f"resident {resident.id} has no address to notify")
        enqueue(
            session,
            chat_id=resident.telegram_user_id,
            text=text,
            purpose=purpose,
            ticket_id=ticket.id,
            now=self.clock.now(),
        )

    def _event(
        self,
        session: AsyncSession,
        ticket: Ticket,
        actor: str,
        actor_id: int | None,
        action: str,
        **detail: object,
    ) -> None:
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=self.clock.now(),
                actor=actor,
                actor_id=actor_id,
                action=action,
                detail=detail,
            )
        )
