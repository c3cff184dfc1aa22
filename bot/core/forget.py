"""A resident's right to be forgotten (/forget): their personal data goes, their tickets stay,
anonymised, for the statistics of the liaison stations."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text.catalogs import Catalogs
from storage.models import (
    TELEGRAM,
    Actor,
    Attachment,
    Draft,
    RecipientKind,
    Resident,
    Ticket,
    TicketEvent,
)
from storage.queries.contacts import contact_of, set_address
from storage.queries.inbound import forget_sender


async def forget_resident(session: AsyncSession, resident: Resident, catalogs: Catalogs) -> int:
    """Delete the resident's name, phone, area, address and draft, the updates they sent as
    the channel delivered them, the texts of their tickets, additions and ratings, and what
    they sent with them (photos, files, voice messages, places); the tickets themselves (area,
    topic, group, dates, status) stay. Returns how many tickets were kept. Writing to the bot
    again makes them a new resident."""
    removed = catalogs.get(None).gettext("(deleted at the request of the person who raised it)")
    resident.display_name = ""
    resident.phone = None
    resident.area_id = None
    await session.execute(delete(Draft).where(Draft.resident_id == resident.id))
    contact = await contact_of(session, RecipientKind.RESIDENT, resident.id, TELEGRAM)
    if contact is not None and contact.address.lstrip("-").isdigit():
        await forget_sender(session, int(contact.address))  # a private chat's id is the user's
    await set_address(session, RecipientKind.RESIDENT, resident.id, TELEGRAM, None)
    tickets = list(await session.scalars(select(Ticket).where(Ticket.resident_id == resident.id)))
    ids = [ticket.id for ticket in tickets]
    for ticket in tickets:
        ticket.text = removed
        ticket.rating_comment = None
    # A photo, a voice message, a document: copies of what they sent, kept by Telegram file id.
    await session.execute(delete(Attachment).where(Attachment.ticket_id.in_(ids)))
    events = await session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id.in_(ids), TicketEvent.actor == Actor.RESIDENT
        )
    )
    for event in events:
        if "text" in event.detail:
            event.detail = {**event.detail, "text": removed}
    return len(tickets)
