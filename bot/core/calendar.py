"""Working days (工作日) of China's official calendar: weekends, public holidays and the make-up
working days (调休) the State Council announces, from the `chinesecalendar` package; the
directory file's `calendar:` entries override single days (a station's own closure, or a year
the package does not know yet). For a year the package does not know and the file does not
cover, Monday to Friday are working days, with a warning logged once per year."""

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CalendarDay

log = logging.getLogger(__name__)

# The end of a working day: a deadline falls at this local time of its last day.
END_OF_DAY = time(23, 59, 59)

_years_warned: set[int] = set()


def official_workday(day: date) -> bool:
    """Whether the official calendar makes `day` a working day (Monday–Friday for a year it
    does not know)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _years_warned:
            _years_warned.add(day.year)
            log.warning(
                "the official calendar of %s is not known to the chinesecalendar package: "
                "Monday to Friday count as working days; add the year's holidays and make-up "
                "working days to the directory file's calendar section, or upgrade the package",
                day.year,
            )
        return day.weekday() < 5


class WorkCalendar:
    """The official calendar with the station's own days on top."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_workday(day)

    def add_workdays(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (the day itself not counted, as periods are
        counted in Chinese law); a negative count goes back."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_before(self, day: date, count: int) -> date:
        """The working day `count` working days before `day`."""
        return self.add_workdays(day, -count)


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    rows = await session.scalars(select(CalendarDay))
    return WorkCalendar({row.day: row.workday for row in rows})


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of(day: date, timezone: str) -> datetime:
    """The last second of `day` in the station's time zone (a deadline's moment)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(timezone))


def at_local(day: date, moment: time, timezone: str) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(timezone))
