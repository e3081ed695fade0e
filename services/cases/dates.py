"""Today's date for a case: Indonesian dates, not UTC's.

An officer in Kupang records an action "today" at 07:00 local time, which is yesterday in UTC.
Defaults are the date in Jakarta (WIB, UTC+7, where most offices and the ministry are); a date a
caller gives may be up to the date in Papua (WIT, UTC+9, the latest in the country), never later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from services.cases.errors import InvalidField

WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))


def today() -> date:
    """The date in Jakarta now: the default of every date a caller may leave out."""
    return datetime.now(WIB).date()


def latest_today() -> date:
    """The latest date anywhere in Indonesia now."""
    return datetime.now(WIT).date()


def not_in_future(field: str, day: date) -> date:
    if day > latest_today():
        raise InvalidField(field, "must not be in the future")
    return day
