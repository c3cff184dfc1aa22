"""Attachments: what a resident sent with an opinion or an addition besides words (photos,
documents, voice messages, videos, places), kept by the channel's file id and by where the
message was written, so that the deputies are shown a copy of it, never a forward."""

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Attachment(Base):
    """One thing sent with a ticket (before submission it is part of the draft)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo, document, voice, video, location, …
    file_id: Mapped[str | None] = mapped_column(String(256))  # the channel's id of the file
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(255))
    caption: Mapped[str | None] = mapped_column(Text)
    album: Mapped[str | None] = mapped_column(String(64))  # items sent as one album share it
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Where the resident wrote it (the channel's address and message id): what is copied.
    address: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
