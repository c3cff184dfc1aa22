"""The messages a ticket's steps send: its card for the deputy group (with the actions a
deputy can take from it, replaced in place when the ticket changes), notices to the group and
to the resident, and the question whether the resident is satisfied. Worded by `bot.text`,
queued in the outbox in the caller's transaction."""

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.core.attachments import CAPTIONED, attachments_of
from bot.core.timeline import SYSTEM, record
from bot.core.workflow import CLOSED, Step, allowed_steps
from bot.delivery.outbox import Action, Content, Recipient, Topic, enqueue
from bot.text import group_texts, render
from bot.text.catalogs import Catalogs, Texts
from storage.models import (
    Actor,
    Attachment,
    Category,
    Deputy,
    DeputyGroup,
    GroupChat,
    OutboxMessage,
    OutboxPurpose,
    Rating,
    RecipientKind,
    Resident,
    Ticket,
    TicketStatus,
    TimelineAction,
)
from storage.queries.areas import area_path
from storage.queries.contacts import reachable
from storage.queries.outbox import latest_message

log = logging.getLogger(__name__)
_Row = TypeVar("_Row")


def card_steps(status: TicketStatus) -> list[str]:
    """The buttons of a card, in the order deputies work: claim it, say work has begun, hand
    it to a department, ask the resident, conclude it (either way), hand it to staff, or say
    it is not for this group."""
    steps = set(allowed_steps(status, Actor.DEPUTY))
    names = [
        (Step.ACCEPT in steps, "accept"),
        (Step.START in steps, "start"),
        (Step.FORWARD in steps, "forward"),
        (Step.ANSWER in steps, "need_info"),
        # Resolved asks for the answer first when none was given yet.
        (Step.ANSWER in steps or Step.CLOSE in steps, "resolve"),
        (Step.CLOSE_UNRESOLVABLE in steps, "unresolvable"),
        (Step.TO_STAFF in steps, "to_staff"),
        (Step.REROUTE in steps, "reroute"),
    ]
    return [name for allowed, name in names if allowed]


async def _get(session: AsyncSession, model: type[_Row], key: int | None) -> _Row | None:
    return await session.get(model, key) if key is not None else None


class TicketMessages:
    def __init__(self, clock: Clock, catalogs: Catalogs, timezone: str) -> None:
        self.clock = clock
        self.catalogs = catalogs
        self.timezone = timezone

    async def card(self, session: AsyncSession, ticket: Ticket) -> Content:
        t = self.catalogs.get(None)
        path = await area_path(session, ticket.area_id)
        # Nothing to read for what the ticket does not have yet (no holder before 受理).
        holder = await _get(session, Deputy, ticket.holder_deputy_id)
        category = await _get(session, Category, ticket.category_id)
        resident = await session.get_one(Resident, ticket.resident_id)
        facts = render.CardFacts(
            path=path,
            raised_by=(
                resident.display_name if ticket.resident_named else render.resident_of(t, path)
            ),
            phone=resident.phone if ticket.resident_named else None,
            attachments=len(await attachments_of(session, ticket.id)),
            holder=holder.name if holder else None,
            category=render.name_in(t, category) if category else None,
        )
        text = render.ticket_card(t, ticket, facts, self.timezone)
        actions = tuple(
            Action(name, render.step_label(t, name), ticket.id)
            for name in card_steps(ticket.status)
        )
        return Content(text, actions)

    async def queue_card(self, session: AsyncSession, ticket: Ticket, group: DeputyGroup) -> None:
        """The ticket's card for the group that now holds it, if the group can be reached at
        all; otherwise the timeline says so, for staff."""
        recipient = Recipient.deputy_group(group.id)
        if not await reachable(session, recipient.kind, recipient.id):
            now = self.clock.now()
            record(session, ticket, SYSTEM, TimelineAction.CARD_NOT_SENT, now, reason="no chat")
            log.warning(
                "ticket %s: deputy group %s has no chat in the directory; its card was not sent",
                ticket.number,
                group.code,
            )
            return
        content = await self._in_topic(session, group.id, ticket, await self.card(session, ticket))
        enqueue(
            session, recipient, OutboxPurpose.CARD, content, self.clock.now(), ticket_id=ticket.id
        )
        await self.queue_attachments(
            session, ticket, group, await attachments_of(session, ticket.id)
        )

    async def queue_attachments(
        self,
        session: AsyncSession,
        ticket: Ticket,
        group: DeputyGroup,
        attachments: list[Attachment],
    ) -> None:
        """A copy of each attachment for the group, after what was queued before (the card,
        an addition): numbered, with the resident's words as its caption where it takes one.
        Nothing for a group that cannot be reached (its card says why)."""
        if not await reachable(session, RecipientKind.DEPUTY_GROUP, group.id):
            return
        t = self.catalogs.get(None)
        for number, attachment in enumerate(attachments, start=1):
            text = (
                group_texts.attachment(t, ticket, number, len(attachments), attachment.caption)
                if attachment.kind in CAPTIONED
                else ""
            )
            enqueue(
                session,
                Recipient.deputy_group(group.id),
                OutboxPurpose.ATTACHMENT,
                Content(text, copy=(attachment.address, attachment.receipt)),
                self.clock.now(),
                ticket_id=ticket.id,
            )

    async def refresh_card(self, session: AsyncSession, ticket: Ticket) -> None:
        """Show the holding group the card's new status. The new card replaces the one
        queued before, whether that one is sent already or not: it is delivered after it."""
        if ticket.deputy_group_id is not None:
            await self._replace_card(
                session, ticket, ticket.deputy_group_id, await self.card(session, ticket)
            )

    async def retire_card(self, session: AsyncSession, ticket: Ticket, group: DeputyGroup) -> None:
        """The card of a group that passed the ticket on: it says so, and offers nothing."""
        t = self.catalogs.get(None)
        content = await self.card(session, ticket)
        text = f"{content.text}\n\n<b>{render.rerouted_notice(t, ticket)}</b>"
        retired = await self._in_topic(session, group.id, ticket, Content(text), closed=True)
        await self._replace_card(session, ticket, group.id, retired)

    async def _replace_card(
        self, session: AsyncSession, ticket: Ticket, group_id: int, content: Content
    ) -> None:
        card = await latest_message(
            session, ticket.id, OutboxPurpose.CARD, RecipientKind.DEPUTY_GROUP, group_id
        )
        if card is None:
            return  # the group never had a card (it cannot be reached)
        if content.topic is None:
            content = await self._in_topic(session, group_id, ticket, content)
        enqueue(
            session,
            Recipient(card.recipient_kind, card.recipient_id),
            OutboxPurpose.CARD_UPDATE,
            content,
            self.clock.now(),
            ticket_id=ticket.id,
            replaces=card,
        )

    async def _in_topic(
        self,
        session: AsyncSession,
        group_id: int,
        ticket: Ticket,
        content: Content,
        closed: bool | None = None,
    ) -> Content:
        """In a group with a topic per ticket, the card names the topic as it should be: the
        number, a short title and the status; closed with the ticket."""
        chat = await session.scalar(select(GroupChat).where(GroupChat.group_id == group_id))
        if chat is None or not chat.topics:
            return content
        t = self.catalogs.get(None)
        ended = ticket.status in CLOSED or ticket.status in (
            TicketStatus.RATED,
            TicketStatus.MERGED,
        )
        topic = Topic(
            group_texts.topic_name(t, ticket),
            ended if closed is None else closed,
            group_texts.topic_recreated(t, ticket),
        )
        return replace(content, topic=topic)

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
        copy: tuple[str, str] | None = None,
    ) -> OutboxMessage:
        return enqueue(
            session,
            Recipient.resident(resident.id),
            purpose,
            Content(text, copy=copy),
            self.clock.now(),
            ticket_id=ticket.id,
        )
