"""Suggestions during the recess (闭会期间意见建议): many residents' tickets on one common
problem (普遍性问题), gathered by staff into one formal suggestion to a department."""

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.tickets import Ticket

suggestion_tickets = Table(
    "suggestion_tickets",
    Base.metadata,
    Column("suggestion_id", ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
)


class Suggestion(Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date] = mapped_column(Date)  # when the department is to answer
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))

    tickets: Mapped[list[Ticket]] = relationship(secondary=suggestion_tickets, lazy="selectin")
