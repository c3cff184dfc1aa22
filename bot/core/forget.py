"""A resident's right to be forgotten (/forget): their personal data goes, their tickets stay,
anonymised, for the statistics of the liaison stations."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text.catalogs import Catalogs
from storage.models import TELEGRAM, Draft, RecipientKind, Resident, Ticket
from storage.queries.contacts import set_address


async def forget_resident(session: AsyncSession, resident: Resident, catalogs: Catalogs) -> int:
    """Delete the resident's name, area, address and draft, and the texts of their tickets and
    ratings; the tickets themselves (area, topic, group, dates, status) stay. Returns how many
    tickets were kept. Writing to the bot again makes them a new resident."""
    removed = catalogs.get(None).gettext("(deleted at the request of the person who raised it)")
    resident.display_name = ""
    resident.area_id = None
    await session.execute(delete(Draft).where(Draft.resident_id == resident.id))
    await set_address(session, RecipientKind.RESIDENT, resident.id, TELEGRAM, None)
    tickets = list(await session.scalars(select(Ticket).where(Ticket.resident_id == resident.id)))
    for ticket in tickets:
        ticket.text = removed
        ticket.rating_comment = None
    return len(tickets)
