"""Drafts: an opinion a resident is still writing, kept in the database so it survives a
restart of the bot on every backend."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Draft(Base):
    """A resident's opinion not yet submitted (one at a time): its parts, as sent."""

    __tablename__ = "drafts"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    intake_key: Mapped[str] = mapped_column(String(64))  # submitting twice makes one ticket
    # [{"message_id": id, "text": text, "media": attachment (`bot.core.attachments.Media`),
    #   if it is one}], in the order sent
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The newest album (its items arrive one by one) and how it was answered, so that it is
    # answered once: {"id": album id, "prompt": the prompt to submit that answered it | None,
    # "refused": whether a refusal of some of its items was said}
    album: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt_id: Mapped[int | None]  # the bot's newest message offering to submit it
    # Left alone for a day, then written to again: the first new part, while the resident is
    # asked whether to go on with what came before it.
    resumed_at: Mapped[int | None]
    # A ticket the resident rated and offered to comment on: their next message is the comment.
    comment_for: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]  # the last part added or changed
