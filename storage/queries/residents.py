"""Residents as the front doors meet them: by the address they write from."""

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, RecipientKind, Resident


async def resident_by_address(
    session: AsyncSession, channel: str, address: str
) -> tuple[Resident, bool] | None:
    """The resident who writes from this address of the channel, and whether the address is
    marked unreachable: one round trip, made for every update a resident sends."""
    row = (
        await session.execute(
            select(Resident, Contact.unreachable_at.is_not(None))
            .join(
                Contact,
                and_(
                    Contact.recipient_kind == RecipientKind.RESIDENT,
                    Contact.recipient_id == Resident.id,
                ),
            )
            .where(Contact.channel == channel, Contact.address == address)
        )
    ).first()
    return (row[0], bool(row[1])) if row is not None else None
