"""What a resident writes about an opinion or suggestion already submitted: an addition (补充),
kept on its timeline, or a comment on their rating; both passed to the deputy group in the
ticket's thread."""

from collections.abc import Sequence
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.attachments import Media, attach
from bot.core.tickets import TicketDesk
from bot.core.timeline import Who, record
from bot.core.workflow import OPEN
from bot.text.catalogs import Texts
from storage.models import Actor, DeputyGroup, Resident, Ticket, TimelineAction

SHOWN = 5  # open tickets offered at most, newest first


async def open_tickets_of(session: AsyncSession, resident: Resident) -> list[Ticket]:
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.resident_id == resident.id, Ticket.status.in_(OPEN))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(SHOWN)
        )
    )


async def add_to_ticket(
    session: AsyncSession,
    desk: TicketDesk,
    ticket: Ticket,
    resident: Resident,
    text: str,
    media: Sequence[Media] = (),
) -> bool:
    """Keep the addition (its attachments too) and pass it to the ticket's group, the
    attachments copied after it; False if the ticket is not the resident's or no longer
    open."""
    if ticket.resident_id != resident.id or ticket.status not in OPEN:
        return False
    record(
        session,
        ticket,
        Who(Actor.RESIDENT, resident.id),
        TimelineAction.ADDED,
        desk.clock.now(),
        text=text,
    )
    group = await session.get(DeputyGroup, ticket.deputy_group_id or 0)
    if group is not None:

        def wording(t: Texts, ticket: Ticket) -> str:
            lead = t.gettext("The person who raised {number} adds:").format(number=ticket.number)
            return f"{lead}\n{escape(text)}"

        await desk.messages.tell_group(session, ticket, group, wording)
    attachments = attach(session, ticket, media, desk.clock.now())
    if group is not None and attachments:
        await session.flush()
        await desk.messages.queue_attachments(session, ticket, group, attachments)
    return True


async def comment_on_rating(
    session: AsyncSession, desk: TicketDesk, ticket: Ticket, resident: Resident, text: str
) -> bool:
    """The optional comment on a rating just given, kept on the timeline (and on the ticket
    while its rating stands: an unsatisfied one reopens it and clears it); False if the ticket
    is not the resident's or its rating has a comment already. The deputy group is told."""
    if ticket.resident_id != resident.id or ticket.rating_comment:
        return False
    if ticket.rating is not None:
        ticket.rating_comment = text
    record(
        session,
        ticket,
        Who(Actor.RESIDENT, resident.id),
        TimelineAction.ADDED,
        desk.clock.now(),
        text=text,
        rating_comment=True,
    )
    group = await session.get(DeputyGroup, ticket.deputy_group_id or 0)
    if group is not None:

        def wording(t: Texts, ticket: Ticket) -> str:
            lead = t.gettext("The person who raised {number} comments on the rating:").format(
                number=ticket.number
            )
            return f"{lead}\n{escape(text)}"

        await desk.messages.tell_group(session, ticket, group, wording)
    return True
