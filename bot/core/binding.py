"""Binding a group chat to a deputy group with a one-time code: staff issue the code
(`python -m bot bind-code GROUP`, later the staff panel), a chat administrator sends
`/bind CODE` in the group. A code works once, within a day; only its hash is kept. The
directory file's `chat_id` remains the other way to name a group's chat."""

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ticket_messages import TicketMessages
from bot.core.workflow import OPEN
from storage.models import (
    BindCode,
    DeputyGroup,
    OutboxMessage,
    OutboxPurpose,
    RecipientKind,
    Ticket,
)
from storage.queries.contacts import recipient_at, set_address

CODE_LIFETIME = timedelta(hours=24)
# Letters and digits nobody misreads when copying a code from a screen (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class BindRefused(enum.StrEnum):
    UNKNOWN = "unknown"  # no such code (mistyped, or never issued)
    EXPIRED = "expired"
    USED = "used"
    TAKEN = "taken"  # the chat is the chat of another deputy group already


class BindError(Exception):
    def __init__(self, why: BindRefused, group: DeputyGroup | None = None) -> None:
        super().__init__(why.value)
        self.why = why
        self.group = group


def _hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


async def issue_bind_code(session: AsyncSession, group: DeputyGroup, now: datetime) -> str:
    """A new code for the group, shown once (as XXXXX-XXXXX); valid for 24 hours."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        BindCode(
            code_hash=_hash(raw),
            group_id=group.id,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return f"{raw[:5]}-{raw[5:]}"


async def bind_chat(
    session: AsyncSession,
    messages: TicketMessages,
    code: str,
    channel: str,
    address: str,
    now: datetime,
) -> DeputyGroup:
    """Make the chat at `address` the group's chat, using up the code; the cards of the
    group's open tickets that never reached a chat are sent there now."""
    bind = await session.scalar(
        select(BindCode).where(BindCode.code_hash == _hash(code)).with_for_update()
    )
    if bind is None:
        raise BindError(BindRefused.UNKNOWN)
    group = await session.get_one(DeputyGroup, bind.group_id)
    if bind.used_at is not None:
        raise BindError(BindRefused.USED, group)
    if bind.expires_at <= now:
        raise BindError(BindRefused.EXPIRED, group)
    holder = await recipient_at(session, RecipientKind.DEPUTY_GROUP, channel, address)
    if holder is not None and holder != group.id:
        raise BindError(BindRefused.TAKEN, await session.get_one(DeputyGroup, holder))
    bind.used_at, bind.used_in = now, address
    await set_address(session, RecipientKind.DEPUTY_GROUP, group.id, channel, address)
    await session.flush()
    for ticket in await _without_card(session, group):
        await messages.queue_card(session, ticket, group)
    return group


async def _without_card(session: AsyncSession, group: DeputyGroup) -> list[Ticket]:
    """The group's open tickets whose card was never queued (the group had no chat)."""
    carded = select(OutboxMessage.ticket_id).where(
        OutboxMessage.purpose == OutboxPurpose.CARD,
        OutboxMessage.recipient_kind == RecipientKind.DEPUTY_GROUP,
        OutboxMessage.recipient_id == group.id,
    )
    found = await session.scalars(
        select(Ticket)
        .where(
            Ticket.deputy_group_id == group.id,
            Ticket.status.in_(OPEN),
            Ticket.id.not_in(carded.where(OutboxMessage.ticket_id.is_not(None))),
        )
        .order_by(Ticket.id)
    )
    return list(found)
