"""Residents whose tickets were merged into another (共性问题) follow the surviving ticket: they
hear its changes of status and its answers, each in their own language, under their own
number."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ticket_messages import TicketMessages
from bot.text.catalogs import Catalogs, Texts
from storage.models import OutboxPurpose, Resident, Ticket, TicketStatus


async def followers_of(session: AsyncSession, ticket: Ticket) -> list[Ticket]:
    """The tickets merged into this one, whose residents follow it."""
    return list(
        await session.scalars(
            select(Ticket).where(
                Ticket.merged_into_id == ticket.id, Ticket.status == TicketStatus.MERGED
            )
        )
    )


async def tell_followers(
    session: AsyncSession,
    messages: TicketMessages,
    catalogs: Catalogs,
    ticket: Ticket,
    wording: Callable[[Texts], str],
    purpose: OutboxPurpose,
    followers: list[Ticket] | None = None,
) -> None:
    """Each follower's resident hears it (`followers`: as the caller read them already)."""
    if followers is None:
        followers = await followers_of(session, ticket)
    for follower in followers:
        resident = await session.get_one(Resident, follower.resident_id)
        t = catalogs.get(resident.locale)
        heading = t.gettext(
            "Your opinion or suggestion {own} is handled together with {number}:"
        ).format(own=follower.number, number=ticket.number)
        text = f"{heading}\n{wording(t)}"
        messages.tell_resident(session, follower, resident, text, purpose)
