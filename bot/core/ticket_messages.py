"""The messages a ticket's steps send: its card for the deputy group (with the actions a
deputy can take from it, replaced in place when the ticket changes), notices to the group and
to the resident, and the question whether the resident is satisfied. Worded by `bot.text`,
queued in the outbox in the caller's transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.timeline import SYSTEM, record
from bot.core.workflow import Step, allowed_steps
from bot.delivery.outbox import Action, Content, Recipient, enqueue
from bot.text import render
from bot.text.catalogs import Catalogs, Texts
from storage.models import (
    Actor,
    Deputy,
    DeputyGroup,
    OutboxPurpose,
    Rating,
    RecipientKind,
    Resident,
    Ticket,
    TimelineAction,
)
from storage.queries.areas import area_path
from storage.queries.contacts import reachable
from storage.queries.outbox import latest_message

CARD_STEPS = (Step.ACCEPT, Step.CLOSE, Step.REROUTE)  # what a deputy can do from the card


class TicketMessages:
    def __init__(self, clock: Clock, catalogs: Catalogs, timezone: str) -> None:
        self.clock = clock
        self.catalogs = catalogs
        self.timezone = timezone

    async def card(self, session: AsyncSession, ticket: Ticket) -> Content:
        t = self.catalogs.get(None)
        resident = await session.get_one(Resident, ticket.resident_id)
        holder = await session.get(Deputy, ticket.holder_deputy_id or -1)
        text = render.ticket_card(
            t,
            ticket,
            await area_path(session, ticket.area_id),
            resident.display_name,
            self.timezone,
            holder.name if holder else None,
        )
        steps = set(allowed_steps(ticket.status, Actor.DEPUTY))
        actions = tuple(
            Action(step.value, render.step_label(t, step.value), ticket.id)
            for step in CARD_STEPS
            if step in steps
        )
        return Content(text, actions)

    async def refresh_card(self, session: AsyncSession, ticket: Ticket) -> None:
        """Show the group the card's new status. The new card replaces the one queued
        before, whether that one is sent already or not: it is delivered after it."""
        if ticket.deputy_group_id is None:
            return
        card = await latest_message(
            session,
            ticket.id,
            OutboxPurpose.CARD,
            RecipientKind.DEPUTY_GROUP,
            ticket.deputy_group_id,
        )
        if card is None:
            return  # the group never had a card (it cannot be reached)
        enqueue(
            session,
            Recipient(card.recipient_kind, card.recipient_id),
            OutboxPurpose.CARD_UPDATE,
            await self.card(session, ticket),
            self.clock.now(),
            ticket_id=ticket.id,
            replaces=card,
        )

    async def ask_for_rating(self, session: AsyncSession, ticket: Ticket) -> None:
        resident = await session.get_one(Resident, ticket.resident_id)
        t = self.catalogs.get(resident.locale)
        actions = tuple(
            Action(f"rate_{rating.value}", render.rating_label(t, rating), ticket.id)
            for rating in Rating
        )
        enqueue(
            session,
            Recipient.resident(resident.id),
            OutboxPurpose.RATING,
            Content(render.rating_question(t, ticket), actions),
            self.clock.now(),
            ticket_id=ticket.id,
        )
        record(session, ticket, SYSTEM, TimelineAction.RATING_ASKED, self.clock.now())

    async def tell_group(
        self,
        session: AsyncSession,
        ticket: Ticket,
        group: DeputyGroup,
        wording: Callable[[Texts, Ticket], str],
    ) -> None:
        """A short notice about the ticket to a deputy group (not its card)."""
        recipient = Recipient.deputy_group(group.id)
        if await reachable(session, recipient.kind, recipient.id):
            text = wording(self.catalogs.get(None), ticket)
            enqueue(
                session,
                recipient,
                OutboxPurpose.GROUP_NOTICE,
                Content(text),
                self.clock.now(),
                ticket_id=ticket.id,
            )

    def tell_resident(
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
