"""Recipients' addresses in each channel (for Telegram: chat ids, as text)."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Deputy, RecipientKind, deputy_group_members


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


async def deputy_in_group(
    session: AsyncSession, channel: str, address: str, group_id: int
) -> Deputy | None:
    """The active deputy of the group who writes from this address (one query)."""
    return await session.scalar(
        select(Deputy)
        .join(
            Contact,
            (Contact.recipient_kind == RecipientKind.DEPUTY) & (Contact.recipient_id == Deputy.id),
        )
        .join(deputy_group_members, deputy_group_members.c.deputy_id == Deputy.id)
        .where(
            Contact.channel == channel,
            Contact.address == address,
            deputy_group_members.c.group_id == group_id,
            Deputy.active.is_(True),
        )
        .limit(1)
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
        # They wrote to us from there (or the directory names it again): reachable once more.
        contact.unreachable_at = contact.unreachable_cause = contact.unreachable_reason = None
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
        contact.unreachable_at = contact.unreachable_cause = contact.unreachable_reason = None
    return True


async def contact_of(
    session: AsyncSession, kind: RecipientKind, recipient_id: int, channel: str
) -> Contact | None:
    return await session.scalar(
        select(Contact).where(
            Contact.recipient_kind == kind,
            Contact.recipient_id == recipient_id,
            Contact.channel == channel,
        )
    )


async def mark_unreachable(
    session: AsyncSession,
    kind: RecipientKind,
    recipient_id: int,
    channel: str,
    at: datetime,
    cause: str,
    reason: str,
) -> None:
    """The channel refused the recipient for good: keep when, the cause and its words."""
    contact = await contact_of(session, kind, recipient_id, channel)
    if contact is not None:
        contact.unreachable_at = at
        contact.unreachable_cause = cause
        contact.unreachable_reason = reason


async def mark_reachable(
    session: AsyncSession, kind: RecipientKind, recipient_id: int, channel: str
) -> None:
    """The recipient wrote to us through the channel: whatever refused them before is over."""
    contact = await contact_of(session, kind, recipient_id, channel)
    if contact is not None and contact.unreachable_at is not None:
        contact.unreachable_at = contact.unreachable_cause = contact.unreachable_reason = None
