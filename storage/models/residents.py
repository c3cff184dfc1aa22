"""Residents (选民/群众) who write to the bot."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.directory import Area


class Resident(Base):
    """A resident (选民/群众) who writes to the bot."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # Shared by the resident with the channel's contact button (their own number only); the
    # deputies see it only on tickets where the resident chose to show their name.
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]

    area: Mapped[Area | None] = relationship()
