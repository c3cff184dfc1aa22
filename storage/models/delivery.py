"""Delivery: recipients' addresses per channel, and the outbox."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, enum_column

TELEGRAM = "telegram"  # the name of the Telegram channel in `contacts`


class RecipientKind(enum.StrEnum):
    """Who a message is for; with an id, a recipient. Channels resolve it to an address."""

    RESIDENT = "resident"
    DEPUTY_GROUP = "deputy_group"
    DEPUTY = "deputy"
    STAFF = "staff"
    STAFF_CHAT = "staff_chat"  # the group chat of a street's staff; the id is the street's area


class Contact(Base):
    """Where a resident, deputy, deputy group or staff member is reached in one channel (for
    Telegram: the user's or the group's chat id). The core never sees addresses."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "recipient_kind", "address"),
        UniqueConstraint("recipient_kind", "recipient_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_kind: Mapped[RecipientKind] = mapped_column(enum_column(RecipientKind))
    recipient_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    # Set when the channel refused the recipient for good (a resident who blocked the bot):
    # when, the cause in the channel's neutral terms (`Unreachable.cause`) and its own words.
    # Writing to us from that address again clears it.
    unreachable_at: Mapped[datetime | None]
    unreachable_cause: Mapped[str | None] = mapped_column(String(16))
    unreachable_reason: Mapped[str | None] = mapped_column(Text)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxPurpose(enum.StrEnum):
    CARD = "card"  # a ticket's card for its deputy group
    CARD_UPDATE = "card_update"  # the card again, edited in place, with a new status
    REPLY = "reply"  # a deputy's answer passed on to the resident
    STATUS = "status"  # a change of status told to the resident
    RATING = "rating"  # the question whether the resident is satisfied
    GROUP_NOTICE = "group_notice"  # a short notice about a ticket to a deputy group
    UNDELIVERED = "undelivered"  # a deputy group told that its answer did not reach the resident
    DEADLINE_WARNING = "deadline_warning"  # a deputy group warned of a deadline (限时办理)
    OVERDUE = "overdue"  # a deadline passed: told to the group and to the street's staff (督办)
    DIGEST = "digest"  # a deputy group's daily digest of what is due or overdue
    PROMPT = "prompt"  # a card button asks its deputy for words (a reason, an answer)
    QUESTION = "question"  # a deputy asks the resident for more information (需补充)
    ADDITION = "addition"  # the resident's answer to that question, into the group's thread
    ATTACHMENT = "attachment"  # a copy of a photo, file, … the resident sent with a ticket
    CHAT_NOTICE = "chat_notice"  # staff told that the bot was removed from a group, or is back
    RECEPTION = "reception"  # a reception announced, changed or cancelled; a place freed
    RECEPTION_REMINDER = "reception_reminder"  # before a reception: a resident, the group
    RECEPTION_FLAG = "reception_flag"  # staff told of a change with less notice than asked


class OutboxMessage(Base):
    """A message the system sends on its own initiative, written in the same transaction as
    the change it reports, and delivered by the one sender. `payload` holds the text and the
    actions offered; with `replaces_id`, the message replaces (edits) that earlier one."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient_kind", "recipient_id", "status"),
        Index("ix_outbox_receipt", "address", "receipt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    recipient_kind: Mapped[RecipientKind] = mapped_column(enum_column(RecipientKind))
    recipient_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    purpose: Mapped[OutboxPurpose] = mapped_column(enum_column(OutboxPurpose))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Filled when delivered: the address it went to and the channel's id of the message.
    address: Mapped[str | None] = mapped_column(String(64))
    receipt: Mapped[str | None] = mapped_column(String(64))
    # The channel's thread it went to (a forum topic of the ticket), if any.
    thread: Mapped[str | None] = mapped_column(String(64))


class DeliveredPart(Base):
    """A further part of a message the channel had to split (a long card): where it went and
    the channel's id of it, so a reply to any part finds the message, and so its ticket."""

    __tablename__ = "outbox_parts"
    __table_args__ = (UniqueConstraint("address", "receipt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[str] = mapped_column(String(64))
