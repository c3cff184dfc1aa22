"""Inbound updates: each update a channel hands the bot, recorded before it is confirmed to
the channel, then processed from the record."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, enum_column


class InboundStatus(enum.StrEnum):
    PENDING = "pending"  # recorded, not processed yet (or interrupted: processed at start)
    DONE = "done"  # processed; its work committed in the same transaction
    FAILED = "failed"  # its handler failed every attempt; kept with the last error


class InboundUpdate(Base):
    """An update as received (`payload`: the raw JSON), keyed by the bot and Telegram's
    update id: a redelivered update finds its record and is processed once, and another
    bot's (or a restarted numbering's) ids are not mistaken for it."""

    __tablename__ = "inbound_updates"
    __table_args__ = (
        Index("ix_inbound_updates_status", "status", "bot_id", "update_id"),
        Index("ix_inbound_updates_processed_at", "processed_at"),
    )

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    status: Mapped[InboundStatus] = mapped_column(enum_column(InboundStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    # Who sent it (the channel's user id), so that a person's updates can be deleted with
    # their personal data (/forget) before they would be pruned.
    sender: Mapped[int | None] = mapped_column(BigInteger, index=True)
