"""Messages passed on between a deputy group and a resident, remembered with the outbox row
that carried them: an edit where they were written is passed on as an edit of what the other
side received, and a reply to one of them finds its ticket."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.timeline import Who, record
from bot.delivery.outbox import Content, enqueue, recipient_of
from bot.text import group_texts, render
from bot.text.catalogs import Catalogs
from storage.models import (
    Actor,
    Deputy,
    OutboxMessage,
    RelayedMessage,
    Resident,
    Ticket,
    TimelineAction,
)


def remember(
    session: AsyncSession,
    address: str,
    receipt: str,
    carried_by: OutboxMessage,
    ticket: Ticket,
    now: datetime,
    deputy: Deputy | None = None,
) -> None:
    session.add(
        RelayedMessage(
            address=address,
            receipt=receipt,
            ticket_id=ticket.id,
            outbox_id=carried_by.id,
            deputy_id=deputy.id if deputy else None,
            created_at=now,
        )
    )


async def relayed_at(session: AsyncSession, address: str, receipt: str) -> RelayedMessage | None:
    return await session.scalar(
        select(RelayedMessage).where(
            RelayedMessage.address == address, RelayedMessage.receipt == receipt
        )
    )


async def pass_edit(
    session: AsyncSession, relay: RelayedMessage, text: str, catalogs: Catalogs, now: datetime
) -> None:
    """The message was edited where it was written: the copy the other side received is
    edited too (the channel edits it in place, or sends it anew if it never arrived)."""
    carried = await session.get_one(OutboxMessage, relay.outbox_id)
    ticket = await session.get_one(Ticket, relay.ticket_id)
    if relay.deputy_id is not None:
        deputy = await session.get_one(Deputy, relay.deputy_id)
        resident = await session.get_one(Resident, ticket.resident_id)
        words = render.deputy_reply_notice(catalogs.get(resident.locale), ticket, deputy.name, text)
        who = Who(Actor.DEPUTY, deputy.id, deputy.name)
    else:
        words = group_texts.addition(catalogs.get(None), ticket, text)
        who = Who(Actor.RESIDENT, ticket.resident_id)
    before = Content.of(carried)
    latest = await _latest_version(session, carried)
    enqueue(
        session,
        recipient_of(carried),
        carried.purpose,
        Content(words, before.actions, before.copy),
        now,
        ticket_id=ticket.id,
        replaces=latest,
    )
    record(session, ticket, who, TimelineAction.EDITED, now, text=text)


async def _latest_version(session: AsyncSession, carried: OutboxMessage) -> OutboxMessage:
    """The newest row that replaced the carried message (an edit of an edit replaces the
    version the other side sees now, which is where the channel's message is)."""
    newest = carried
    while True:
        newer = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.replaces_id == newest.id)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        if newer is None:
            return newest
        newest = newer
