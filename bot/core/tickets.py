"""Tickets: an opinion comes in, is numbered and routed, a card goes to the deputy group,
and the deputies' replies and status changes go back to the resident."""

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.routing import route_ticket
from bot.core.workflow import check_transition
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.text import render
from bot.text.catalogs import Catalogs
from storage.models import (
    Actor,
    Deputy,
    DeputyGroup,
    OutboxPurpose,
    RecipientKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
    TimelineAction,
)
from storage.queries.areas import area_path
from storage.queries.contacts import reachable, recipient_at
from storage.queries.counters import next_number
from storage.queries.outbox import first_message, ticket_of_delivered

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
        # The year of the number is the station's: 1 January begins at midnight local time.
        year = now.astimezone(ZoneInfo(self.timezone)).year
        ticket = Ticket(
            number=await ticket_number(session, OPINION_PREFIX, year),
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
        self._event(session, ticket, Actor.RESIDENT, resident.id, TimelineAction.SUBMITTED)
        if group is None:
            self._event(
                session,
                ticket,
                Actor.SYSTEM,
                None,
                TimelineAction.UNROUTED,
                area_id=resident.area_id,
            )
            log.warning(
                "ticket %s: no deputy group covers its area; staff must assign it", ticket.number
            )
            return Submission(ticket, None)
        self._event(session, ticket, Actor.SYSTEM, None, TimelineAction.ROUTED, group_id=group.id)
        recipient = Recipient.deputy_group(group.id)
        if not await reachable(session, recipient.kind, recipient.id):
            self._event(
                session,
                ticket,
                Actor.SYSTEM,
                None,
                TimelineAction.CARD_NOT_SENT,
                reason="group has no chat",
            )
            log.warning(
                "ticket %s: deputy group %s has no chat in the directory; its card was not sent",
                ticket.number,
                group.code,
            )
            return Submission(ticket, group)
        enqueue(
            session,
            recipient,
            OutboxPurpose.CARD,
            Content(await self._card(session, ticket, resident)),
            now,
            ticket_id=ticket.id,
        )
        return Submission(ticket, group)

    async def reply_from_deputy(
        self, session: AsyncSession, ticket: Ticket, deputy: Deputy, text: str
    ) -> None:
        """Pass a deputy's answer to the resident; the first answer marks the ticket answered."""
        resident = await session.get_one(Resident, ticket.resident_id)
        self._event(session, ticket, Actor.DEPUTY, deputy.id, TimelineAction.REPLIED, text=text)
        t = self.catalogs.get(resident.locale)
        self._notify(
            session,
            ticket,
            resident,
            render.deputy_reply_notice(t, ticket, deputy.name, text),
            OutboxPurpose.REPLY,
        )
        if ticket.status == TicketStatus.NEW:
            self._set_status(
                session, ticket, resident, TicketStatus.ANSWERED, Actor.DEPUTY, deputy.id
            )
            await self._refresh_card(session, ticket, resident, answered_by=deputy.name)

    async def ticket_of_message(
        self, session: AsyncSession, address: str, receipt: str
    ) -> Ticket | None:
        """The ticket a message the system delivered is about (a card a deputy replies to)."""
        return await ticket_of_delivered(session, address, receipt)

    async def deputy_of_group(
        self, session: AsyncSession, channel: str, address: str, group_id: int | None
    ) -> Deputy | None:
        """The deputy writing from this address, if they belong to the group."""
        deputy_id = await recipient_at(session, RecipientKind.DEPUTY, channel, address)
        if deputy_id is None or group_id is None:
            return None
        deputy = await session.get_one(Deputy, deputy_id)
        await session.refresh(deputy, attribute_names=["groups"])
        return deputy if any(group.id == group_id for group in deputy.groups) else None

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
        """Show the group the card's new status. The new card replaces the one queued before,
        whether that one is sent already or not: it is delivered after it, as an edit."""
        card = await first_message(session, ticket.id, OutboxPurpose.CARD)
        if card is None:
            return  # the ticket never had a card (its group cannot be reached)
        enqueue(
            session,
            Recipient(card.recipient_kind, card.recipient_id),
            OutboxPurpose.CARD_UPDATE,
            Content(await self._card(session, ticket, resident, answered_by)),
            self.clock.now(),
            ticket_id=ticket.id,
            replaces=card,
        )

    def _set_status(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        status: TicketStatus,
        actor: Actor,
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
            TimelineAction.STATUS_CHANGED,
            **{"from": previous.value, "to": status.value},
        )
        t = self.catalogs.get(resident.locale)
        self._notify(
            session, ticket, resident, render.status_notice(t, ticket), OutboxPurpose.STATUS
        )

    def _notify(
        self,
        session: AsyncSession,
        ticket: Ticket,
        resident: Resident,
        text: str,
        purpose: OutboxPurpose,
    ) -> None:
        enqueue(
            session,
            Recipient.resident(resident.id),
            purpose,
            Content(text),
            self.clock.now(),
            ticket_id=ticket.id,
        )

    def _event(
        self,
        session: AsyncSession,
        ticket: Ticket,
        actor: Actor,
        actor_id: int | None,
        action: TimelineAction,
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
