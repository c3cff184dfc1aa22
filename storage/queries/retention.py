"""Data retention: the personal data of tickets concluded long ago, removed in place."""

from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attachment,
    Draft,
    OutboxMessage,
    OutboxStatus,
    Reception,
    ReceptionRequest,
    ReceptionSignup,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
)

BATCH = 500  # tickets (residents, sign-ups) anonymised per transaction
# What people wrote, in a timeline event's detail: a reply, an addition, a question, a note,
# the reason of an extension or a closure, the media passed on. Who and when stay.
WRITTEN = ("text", "reason", "media", "comment")


async def concluded_before(
    session: AsyncSession, concluded: frozenset[TicketStatus], before: datetime
) -> list[int]:
    """Up to BATCH tickets in a `concluded` state since before `before` and not yet
    anonymised (an anonymised ticket's text is empty), locked against a concurrent purge."""
    rows = await session.scalars(
        select(Ticket.id)
        .where(
            Ticket.status.in_(concluded),
            func.coalesce(Ticket.closed_at, Ticket.updated_at) < before,
            Ticket.text != "",
        )
        .order_by(Ticket.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def anonymise(session: AsyncSession, ticket_ids: list[int]) -> None:
    """What a resident or deputy wrote goes: the ticket's text, the rating's comment, the
    reason given at its conclusion, what the timeline quotes, the topic of a micro reception
    asked for with it, what was sent with it (photos, files, places) and the messages sent
    about it. What counts (states, dates, area,
    group, category, rating) stays."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids))
        .values(text="", rating_comment=None, close_reason=None, extension_reason=None)
        .execution_options(synchronize_session=False)
    )
    events = await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids)))
    for event in events:
        if any(key in event.detail for key in WRITTEN):
            event.detail = {k: v for k, v in event.detail.items() if k not in WRITTEN}
    await session.execute(delete(Attachment).where(Attachment.ticket_id.in_(ticket_ids)))
    await session.execute(
        update(ReceptionRequest)
        .where(ReceptionRequest.ticket_id.in_(ticket_ids))
        .values(topic="")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ticket_id.in_(ticket_ids), OutboxMessage.status != OutboxStatus.PENDING
        )
        .values(payload={"text": ""})
        .execution_options(synchronize_session=False)
    )


async def forget_names(session: AsyncSession, before: datetime) -> int:
    """Up to BATCH residents, known since before `before`, lose their name (and the phone
    number they may have shared) once nothing of
    theirs still needs it: every ticket of theirs anonymised, no draft, no sign-up of a
    reception that ended since. How many. (Writing to the bot again brings the name back.)"""
    live_ticket = exists().where(Ticket.resident_id == Resident.id, Ticket.text != "")
    draft = exists().where(Draft.resident_id == Resident.id)
    recent_signup = exists().where(
        ReceptionSignup.resident_id == Resident.id,
        ReceptionSignup.reception_id == Reception.id,
        Reception.ends_at >= before,
    )
    rows = list(
        await session.scalars(
            select(Resident.id)
            .where(
                or_(Resident.display_name != "", Resident.phone.is_not(None)),
                Resident.created_at < before,
                ~live_ticket,
                ~draft,
                ~recent_signup,
            )
            .order_by(Resident.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if rows:
        await session.execute(
            update(Resident)
            .where(Resident.id.in_(rows))
            .values(display_name="", phone=None)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def forget_signup_topics(session: AsyncSession, before: datetime) -> int:
    """What residents wanted to raise at receptions that ended before `before` goes (the
    sign-ups, their check-in and rating stay, for the statistics); how many."""
    rows = list(
        await session.scalars(
            select(ReceptionSignup.id)
            .join(Reception, Reception.id == ReceptionSignup.reception_id)
            .where(Reception.ends_at < before, ReceptionSignup.topic.is_not(None))
            .order_by(ReceptionSignup.id)
            .limit(BATCH)
            .with_for_update(of=ReceptionSignup, skip_locked=True)
        )
    )
    if rows:
        await session.execute(
            update(ReceptionSignup)
            .where(ReceptionSignup.id.in_(rows))
            .values(topic=None)
            .execution_options(synchronize_session=False)
        )
    return len(rows)
