"""Indonesian working days: Monday to Friday, except public holidays and *cuti bersama*.

The holidays come from the ``holidays`` library, which knows Indonesia's fixed and lunar public
holidays and the collective leave days (*cuti bersama*, its ``government`` category) that the
government decrees each year and on which its offices are closed. Lunar dates of years not yet
decreed are the library's estimates.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days; ``days_off`` are the holidays besides weekends."""

    days_off: Container[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day = start
        while count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


@cache
def indonesian_working_days() -> WorkingCalendar:
    """The calendar of Indonesian government offices (built once; years load as asked)."""
    return WorkingCalendar(holidays.country_holidays("ID", categories=("public", "government")))
