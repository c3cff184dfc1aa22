"""Attachments (附件): what a resident sends with an opinion or an addition besides words — a
photo, a document, a voice message, a video, a place. While the opinion is a draft they are
parts of it (`bot.core.drafts`); once it is submitted they are the ticket's, and the deputy
group is shown a copy of each, right after the card: copied, never forwarded, so the resident
stays private."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attachment, Ticket

ATTACHMENTS_LIMIT = 10  # on one opinion or suggestion (as many as one Telegram album holds)
# What can be shown with words of its own (a caption); a place or a round video cannot.
CAPTIONED = frozenset({"photo", "document", "voice", "video", "audio", "animation"})


@dataclass(frozen=True)
class Media:
    """One attachment as the channel received it: its kind, where it was written (what is
    copied), the channel's file id, and its words, album and place if it has them."""

    kind: str
    address: str
    receipt: str
    file_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    caption: str | None = None
    album: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def of_json(cls, data: dict[str, Any]) -> "Media":
        return cls(**data)


def media_of(parts: Sequence[dict[str, Any]]) -> list[Media]:
    """The attachments among a draft's parts, in the order sent."""
    return [Media.of_json(part["media"]) for part in parts if part.get("media")]


def attach(
    session: AsyncSession, ticket: Ticket, media: Sequence[Media], now: datetime
) -> list[Attachment]:
    """Keep the attachments as the ticket's (the ticket must be flushed)."""
    rows = [Attachment(ticket_id=ticket.id, created_at=now, **asdict(item)) for item in media]
    session.add_all(rows)
    return rows


async def attachments_of(session: AsyncSession, ticket_id: int) -> list[Attachment]:
    return list(
        await session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
    )
