"""Where the rules get the time from: the system clock in service, a hand-driven one in tests.

Every time-driven rule reads ``clock.now()`` (an aware UTC datetime) and nothing else, so a test
can open a case, move the clock past a deadline (or restart the engine there) and watch the
alert fire.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, replays, benchmarks)."""

    def __init__(self, start: datetime) -> None:
        self._now = _utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _utc(moment)

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("a clock does not go back")
        self._now += by
        return self._now


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime (UTC)")
    return moment.astimezone(UTC)


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: when a day-dated deadline begins."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def next_midnight(moment: datetime) -> datetime:
    """The next midnight UTC strictly after ``moment``: when day-bucketed windows slide."""
    return start_of(moment.date()) + timedelta(days=1)
