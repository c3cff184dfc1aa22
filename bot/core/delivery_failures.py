"""When a message to a resident cannot be delivered: the deputy group that answered must not
believe it was passed on. A deputy's answer (or a status notice) that fails for good makes the
ticket's group hear, once per ticket, that the resident could not be reached and why; the
resident keeps their tickets. The sender calls this through the hook the composition root
wires (`Sender.on_failed`)."""

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.outbox import Content, Recipient, enqueue
from bot.delivery.sender import GAVE_UP, NO_ADDRESS, REFUSED, Unreachable
from bot.text.catalogs import N_, Catalogs
from storage.models import OutboxMessage, OutboxPurpose, RecipientKind, Ticket
from storage.queries.contacts import reachable
from storage.queries.outbox import latest_message
from storage.queries.receptions import unclaimed_walk_in

log = logging.getLogger(__name__)

TOLD = (OutboxPurpose.REPLY, OutboxPurpose.STATUS, OutboxPurpose.QUESTION)
WHY = {
    Unreachable.BLOCKED: N_("The resident has stopped this bot."),
    Unreachable.GONE: N_("The resident's account can no longer be reached."),
    NO_ADDRESS: N_("The resident's account can no longer be reached."),
    REFUSED: N_("The message was refused."),
    GAVE_UP: N_("The message could not be sent after repeated attempts."),
}
# Raised at a reception by someone who had not signed up, and not claimed in the bot (yet).
WALK_IN = N_(
    "It was raised at a reception by someone who does not follow it in this bot. Please tell "
    "them the answer in person or by phone."
)


class DeliveryFailures:
    def __init__(self, clock: Clock, catalogs: Catalogs) -> None:
        self.clock = clock
        self.catalogs = catalogs

    async def __call__(
        self, session: AsyncSession, failed: Sequence[OutboxMessage], cause: str
    ) -> None:
        tickets = {
            row.ticket_id
            for row in failed
            if row.recipient_kind == RecipientKind.RESIDENT
            and row.purpose in TOLD
            and row.ticket_id is not None
        }
        for ticket_id in sorted(tickets):
            ticket = await session.get_one(Ticket, ticket_id)
            if ticket.deputy_group_id is None:
                continue
            group = Recipient.deputy_group(ticket.deputy_group_id)
            told = await latest_message(
                session, ticket.id, OutboxPurpose.UNDELIVERED, group.kind, group.id
            )
            if told is not None:
                continue  # once per ticket: the group knows already
            if not await reachable(session, group.kind, group.id):
                log.warning("ticket %s: its group cannot be told either", ticket.number)
                continue
            t = self.catalogs.get(None)  # the group's language: the station's
            why = WALK_IN if await unclaimed_walk_in(session, ticket.id) else WHY.get(cause)
            text = t.gettext("Could not reach the resident ({number}): {why}").format(
                number=ticket.number, why=t.gettext(why or WHY[REFUSED])
            )
            enqueue(
                session,
                group,
                OutboxPurpose.UNDELIVERED,
                Content(text),
                self.clock.now(),
                ticket_id=ticket.id,
            )
