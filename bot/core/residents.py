"""Residents (选民/群众): registration by their contact in a channel, language and area."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RecipientKind, Resident
from storage.queries.contacts import mark_reachable, recipient_at, set_address
from storage.queries.residents import resident_by_address


async def resident_at(session: AsyncSession, channel: str, address: str) -> Resident | None:
    """The resident who writes from this address of the channel, if known."""
    resident_id = await recipient_at(session, RecipientKind.RESIDENT, channel, address)
    return await session.get(Resident, resident_id) if resident_id is not None else None


async def register_resident(
    session: AsyncSession,
    channel: str,
    address: str,
    display_name: str,
    locale: str,
    now: datetime,
) -> Resident:
    """The resident at this address, registered on first contact; a changed name is kept."""
    found = await resident_by_address(session, channel, address)
    if found is None:
        resident = Resident(display_name=display_name, locale=locale, created_at=now)
        session.add(resident)
        await session.flush()
        await set_address(session, RecipientKind.RESIDENT, resident.id, channel, address)
        return resident
    resident, unreachable = found
    if unreachable:  # writing to the bot again undoes a block that made them unreachable
        await mark_reachable(session, RecipientKind.RESIDENT, resident.id, channel)
    if resident.display_name != display_name:
        resident.display_name = display_name
    return resident
