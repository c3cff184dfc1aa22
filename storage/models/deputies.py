"""What deputy groups work with from their chat: the departments they forward to, the
questions a button asks before its step is taken, and the one-time codes that bind a chat."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Department(Base):
    """A government department (职能部门) a ticket can be forwarded to (转交部门)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    # Entries removed from the directory file stay, inactive: history keeps its names.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeputyPrompt(Base):
    """A button that needs words before its step is taken (the reason, the answer, the
    question for the resident): the bot asked in the group (`outbox_id`), and the deputy's
    reply to that message completes it. Kept in the database, so a restart loses nothing."""

    __tablename__ = "deputy_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    step: Mapped[str] = mapped_column(String(32))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class BindCode(Base):
    """A one-time code staff give a group's administrator: `/bind CODE` in the chat makes it
    the deputy group's chat. Only its hash is kept; it works once, within its day."""

    __tablename__ = "bind_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_in: Mapped[str | None] = mapped_column(String(64))  # the chat's address


class RelayedMessage(Base):
    """A message passed on between a deputy group and a resident: where it was written (the
    channel's address and id of it) and the outbox row that carried it on, so that an edit
    there is passed on as an edit, and a reply to it finds its ticket."""

    __tablename__ = "relayed_messages"
    __table_args__ = (UniqueConstraint("address", "receipt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputies.id"))  # None: resident
    created_at: Mapped[datetime]


class GroupChat(Base):
    """What the bot may do in a deputy group's chat, as Telegram last told it (at `/bind`,
    and whenever the bot's membership changes): a forum whose topics the bot may manage gets
    a topic per ticket; a chat the bot was removed from waits until it is back."""

    __tablename__ = "group_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_groups.id"), unique=True)
    forum: Mapped[bool] = mapped_column(Boolean, default=False)
    manages_topics: Mapped[bool] = mapped_column(Boolean, default=False)
    sees_all_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]  # the bot was removed (or lost the right to write)
    checked_at: Mapped[datetime]

    @property
    def topics(self) -> bool:
        """A topic per ticket: a forum, and the bot may create and close topics."""
        return self.forum and self.manages_topics
