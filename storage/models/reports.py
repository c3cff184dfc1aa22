"""The city's dashboard kept as the tickets change (migration 0016_report_days): per local
day, counts by category, counts by area, and how long tickets waited, in fixed buckets.
Written only by the database's triggers on `tickets`, in the transaction that changes a
ticket; read by `storage.queries.reports`."""

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ReportDay(Base):
    """A day's tickets of a category (0: none), by what the dashboard counts."""

    __tablename__ = "report_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    received: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    fed_back: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    fairly_satisfied: Mapped[int] = mapped_column(Integer)
    unsatisfied: Mapped[int] = mapped_column(Integer)
    not_rated: Mapped[int] = mapped_column(Integer)


class ReportAreaDay(Base):
    """A day's tickets raised in an area (0: none)."""

    __tablename__ = "report_area_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    received: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)


class ReportWait(Base):
    """How many of a day's tickets waited a time within a bucket for their first response
    or their answer (`storage.queries.reports.wait_bucket` says which bucket)."""

    __tablename__ = "report_waits"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # response, answer
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer)
