"""The supervision view (督办) of the panel: what waits for staff first (unrouted), then what
is overdue or due within three days, per deputy group and per deputy, oldest first."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.inbox import flag_condition
from bot.core.scope import Scope
from storage.models import Deputy, DeputyGroup, Ticket

LIMIT = 500


@dataclass
class Pile:
    """The overdue and due-soon tickets of one group or one deputy."""

    name: str
    overdue: list[Ticket] = field(default_factory=list)
    due_soon: list[Ticket] = field(default_factory=list)


@dataclass
class Supervision:
    unrouted: list[Ticket]
    groups: list[Pile]
    deputies: list[Pile]


async def supervision(session: AsyncSession, scope: Scope, now: datetime) -> Supervision:
    unrouted = list(
        await session.scalars(
            select(Ticket)
            .where(scope.tickets(), flag_condition("unrouted", now))
            .order_by(Ticket.created_at, Ticket.id)
            .limit(LIMIT)
        )
    )
    pressing = list(
        await session.scalars(
            select(Ticket)
            .where(
                scope.tickets(),
                or_(flag_condition("overdue", now), flag_condition("due_soon", now)),
            )
            .order_by(Ticket.answer_due, Ticket.created_at, Ticket.id)
            .limit(LIMIT)
            .options(selectinload(Ticket.deputy_group))
        )
    )
    groups: dict[int, Pile] = {}
    deputies: dict[int, Pile] = defaultdict(lambda: Pile(""))
    names = {
        deputy.id: deputy.name
        for deputy in await session.scalars(
            select(Deputy).where(Deputy.id.in_({t.holder_deputy_id for t in pressing}))
        )
    }
    for ticket in pressing:
        group: DeputyGroup | None = ticket.deputy_group
        piles = [groups.setdefault(group.id, Pile(group.name))] if group else []
        if ticket.holder_deputy_id is not None:
            pile = deputies[ticket.holder_deputy_id]
            pile.name = names.get(ticket.holder_deputy_id, "")
            piles.append(pile)
        late = ticket.overdue_since is not None or (
            ticket.answer_due is not None and ticket.answer_due < now
        )
        for pile in piles:
            (pile.overdue if late else pile.due_soon).append(ticket)
    return Supervision(unrouted, list(groups.values()), list(deputies.values()))
