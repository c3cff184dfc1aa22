"""Recipients' addresses in each channel (for Telegram: chat ids, as text)."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, RecipientKind


async def address_of(
    session: AsyncSession, kind: RecipientKind, recipient_id: int, channel: str
) -> str | None:
    return await session.scalar(
        select(Contact.address).where(
            Contact.recipient_kind == kind,
            Contact.recipient_id == recipient_id,
            Contact.channel == channel,
        )
    )


async def reachable(session: AsyncSession, kind: RecipientKind, recipient_id: int) -> bool:
    """Whether the recipient has an address in any channel."""
    found = await session.scalar(
        select(Contact.id)
        .where(Contact.recipient_kind == kind, Contact.recipient_id == recipient_id)
        .limit(1)
    )
    return found is not None


async def recipient_at(
    session: AsyncSession, kind: RecipientKind, channel: str, address: str
) -> int | None:
    return await session.scalar(
        select(Contact.recipient_id).where(
            Contact.recipient_kind == kind, Contact.channel == channel, Contact.address == address
        )
    )


async def set_address(
    session: AsyncSession, kind: RecipientKind, recipient_id: int, channel: str, address: str | None
) -> bool:
    """Give the recipient this address in the channel (None: none); True if it changed."""
    contact = await session.scalar(
        select(Contact).where(
            Contact.recipient_kind == kind,
            Contact.recipient_id == recipient_id,
            Contact.channel == channel,
        )
    )
    if contact is not None and contact.address == address:
        return False
    if address is None:
        if contact is None:
            return False
        await session.execute(delete(Contact).where(Contact.id == contact.id))
        return True
    if contact is None:
        session.add(
            Contact(
                recipient_kind=kind, recipient_id=recipient_id, channel=channel, address=address
            )
        )
    else:
        contact.address = address
    return True
