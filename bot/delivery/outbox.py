"""The outbox: every message the system sends on its own initiative is a row written in the
same transaction as the change it reports; the sender (`bot.delivery.sender`) delivers them.

Rows are addressed to recipients (a resident, a deputy group, …), never to a channel's chat:
each channel resolves a recipient to its own address when it delivers.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxPurpose, OutboxStatus, RecipientKind

QUEUED = "outbox_queued"  # set in a session's `info` once it queued a message


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: int

    @classmethod
    def resident(cls, resident_id: int) -> "Recipient":
        return cls(RecipientKind.RESIDENT, resident_id)

    @classmethod
    def deputy_group(cls, group_id: int) -> "Recipient":
        return cls(RecipientKind.DEPUTY_GROUP, group_id)

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclass(frozen=True)
class Action:
    """Something the recipient can do from the message (a channel shows it as a button)."""

    name: str
    label: str  # already in the recipient's language
    argument: int | None = None


@dataclass(frozen=True)
class Topic:
    """A ticket's own thread in a group that has them (a forum topic): its name (number,
    short title, status), whether it is closed, and what to say in a new one that replaces
    a topic someone deleted."""

    name: str
    closed: bool
    recreated: str


@dataclass(frozen=True)
class Content:
    """What a message says: HTML text (Telegram's subset) and the actions it offers."""

    text: str
    actions: tuple[Action, ...] = ()
    # A copy of a message the channel received (its address and its id there: a photo, a
    # document, a voice message), sent with `text` as its caption; never a forward.
    copy: tuple[str, str] | None = None
    # On a ticket's card in a group with a topic per ticket: the topic as it should be now.
    topic: Topic | None = None

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "text": self.text,
            "actions": [[a.name, a.label, a.argument] for a in self.actions],
        }
        if self.copy is not None:
            payload["copy"] = list(self.copy)
        if self.topic is not None:
            payload["topic"] = [self.topic.name, self.topic.closed, self.topic.recreated]
        return payload

    @classmethod
    def of(cls, message: OutboxMessage) -> "Content":
        actions = tuple(Action(*action) for action in message.payload.get("actions", []))
        copied = message.payload.get("copy")
        copy = (str(copied[0]), str(copied[1])) if copied else None
        topic = message.payload.get("topic")
        return cls(
            str(message.payload["text"]),
            actions,
            copy,
            Topic(str(topic[0]), bool(topic[1]), str(topic[2])) if topic else None,
        )


def recipient_of(message: OutboxMessage) -> Recipient:
    return Recipient(message.recipient_kind, message.recipient_id)


def enqueue(
    session: AsyncSession,
    recipient: Recipient,
    purpose: OutboxPurpose,
    content: Content,
    now: datetime,
    *,
    ticket_id: int | None = None,
    replaces: OutboxMessage | None = None,
) -> OutboxMessage:
    """Queue a message; with `replaces`, it takes the place of that earlier message (an edit
    where the channel can, a new message where the earlier one never arrived)."""
    if replaces is not None and replaces.id is None:
        raise ValueError("the message to replace must be flushed first")
    message = OutboxMessage(
        created_at=now,
        recipient_kind=recipient.kind,
        recipient_id=recipient.id,
        payload=content.as_payload(),
        ticket_id=ticket_id,
        purpose=purpose,
        replaces_id=replaces.id if replaces is not None else None,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(message)
    session.info[QUEUED] = True
    return message
