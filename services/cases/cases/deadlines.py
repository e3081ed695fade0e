"""The deadline clocks of Regulation BP2MI 6/2024 art. 30, kept per case.

A complaint may be closed when:

- its documents are still incomplete 30 days after registration (``documents_incomplete``);
- there is no answer 15 working days after an officer asked the complainant for clarification
  (``clarification_unanswered``; working days skip weekends, public holidays and *cuti
  bersama*, see :mod:`.working_days`);
- the complainant has been unreachable for 60 consecutive days (``complainant_unreachable``,
  counted from the first failed attempt, and stopped by any contact);
- 6 months have passed since the complainant was told it cannot be resolved
  (``unresolvable_notice``, from the first notice).

The deadline steps of :class:`~shared.contract.codes.CaseAction` start and stop them
(:func:`after_action`): documents completed, clarification requested / answered (an answer is
also a contact), contact failed / complainant reached, unresolvable notified. A case's clocks all
stop when it closes; reopening starts the documents clock again if they are still incomplete.

A period is counted from the day after its start, so a clock started on 1 March with 30 days
ends (``due_on``) on 31 March: from that day on the case may be closed on that ground, and the
alerts service raises ``case_overdue``. The case's *next deadline* is the earliest running clock;
it is what the case events carry (``due_on``, ``due_clock``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from services.cases.cases.working_days import WorkingCalendar
from shared.contract.codes import CaseAction, DueClock

DOCUMENTS_DAYS = 30
CLARIFICATION_WORKING_DAYS = 15
UNREACHABLE_DAYS = 60
UNRESOLVABLE_MONTHS = 6

_ORDER = {clock: position for position, clock in enumerate(DueClock)}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 August + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(clock: DueClock, started_on: date, working_days: WorkingCalendar) -> date:
    """The day ``clock``, started on ``started_on``, ends."""
    if clock is DueClock.DOCUMENTS_INCOMPLETE:
        return started_on + timedelta(days=DOCUMENTS_DAYS)
    if clock is DueClock.CLARIFICATION_UNANSWERED:
        return working_days.add_working_days(started_on, CLARIFICATION_WORKING_DAYS)
    if clock is DueClock.COMPLAINANT_UNREACHABLE:
        return started_on + timedelta(days=UNREACHABLE_DAYS)
    return add_months(started_on, UNRESOLVABLE_MONTHS)


@dataclass(frozen=True)
class Deadline:
    """One running clock: when it started and the day it ends."""

    clock: DueClock
    started_on: date
    due_on: date

    def ended(self, as_of: date) -> bool:
        return as_of >= self.due_on


@dataclass(frozen=True)
class Clocks:
    """The running clocks of one case (at most one per kind); every change returns a copy."""

    running: tuple[Deadline, ...] = ()

    def get(self, clock: DueClock) -> Deadline | None:
        return next((d for d in self.running if d.clock is clock), None)

    def start(self, clock: DueClock, on: date, working_days: WorkingCalendar) -> Clocks:
        """(Re)start ``clock`` on ``on``, replacing a running one of the same kind."""
        started = Deadline(clock, on, due_date(clock, on, working_days))
        others = tuple(d for d in self.running if d.clock is not clock)
        return Clocks(tuple(sorted((*others, started), key=lambda d: _ORDER[d.clock])))

    def stop(self, clock: DueClock) -> Clocks:
        return Clocks(tuple(d for d in self.running if d.clock is not clock))

    def stop_all(self) -> Clocks:
        return Clocks()

    def next(self) -> Deadline | None:
        """The earliest deadline (ties: in the order of the regulation), or None."""
        if not self.running:
            return None
        return min(self.running, key=lambda d: (d.due_on, _ORDER[d.clock]))

    def ended(self, as_of: date) -> tuple[Deadline, ...]:
        """The clocks that have ended by ``as_of``."""
        return tuple(d for d in self.running if d.ended(as_of))


def _from_first(clocks: Clocks, clock: DueClock, on: date, working_days: WorkingCalendar) -> Clocks:
    """Start ``clock`` unless it already runs from an earlier day (consecutive days count from
    the first occurrence, even one recorded late)."""
    running = clocks.get(clock)
    if running is not None and running.started_on <= on:
        return clocks
    return clocks.start(clock, on, working_days)


def _from_latest(
    clocks: Clocks, clock: DueClock, on: date, working_days: WorkingCalendar
) -> Clocks:
    """(Re)start ``clock`` unless it runs from a later day: a new request opens a new window."""
    running = clocks.get(clock)
    if running is not None and running.started_on > on:
        return clocks
    return clocks.start(clock, on, working_days)


def after_action(
    clocks: Clocks, action: CaseAction, on: date, working_days: WorkingCalendar
) -> Clocks:
    """The clocks after ``action`` was taken on ``on`` (other actions leave them alone)."""
    match action:
        case CaseAction.DOCUMENTS_COMPLETED:
            return clocks.stop(DueClock.DOCUMENTS_INCOMPLETE)
        case CaseAction.CLARIFICATION_REQUESTED:
            return _from_latest(clocks, DueClock.CLARIFICATION_UNANSWERED, on, working_days)
        case CaseAction.CLARIFICATION_ANSWERED:
            return clocks.stop(DueClock.CLARIFICATION_UNANSWERED).stop(
                DueClock.COMPLAINANT_UNREACHABLE
            )
        case CaseAction.CONTACT_FAILED:
            return _from_first(clocks, DueClock.COMPLAINANT_UNREACHABLE, on, working_days)
        case CaseAction.COMPLAINANT_REACHED:
            return clocks.stop(DueClock.COMPLAINANT_UNREACHABLE)
        case CaseAction.UNRESOLVABLE_NOTIFIED:
            return _from_first(clocks, DueClock.UNRESOLVABLE_NOTICE, on, working_days)
    return clocks
