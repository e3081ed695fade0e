"""The clocks of Regulation BP2MI 6/2024 art. 30 and Indonesian working days."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from services.cases.cases import events
from services.cases.cases.deadlines import Clocks, add_months, due_date
from services.cases.cases.working_days import WorkingCalendar, indonesian_working_days
from services.cases.errors import TransitionNotAllowed
from shared.contract.codes import CaseAction, ClosureReason, DueClock, ReopeningReason
from tests.unit.cases.builders import OPENED, open_case

A, C = CaseAction, DueClock
INDONESIA = indonesian_working_days()


# -- working days -------------------------------------------------------------------------------
def test_working_days_skip_weekends():
    plain = WorkingCalendar(frozenset())
    friday = date(2026, 1, 9)
    assert plain.add_working_days(friday, 1) == date(2026, 1, 12)  # Monday
    assert plain.add_working_days(friday, 5) == date(2026, 1, 16)
    assert plain.add_working_days(date(2026, 1, 10), 1) == date(2026, 1, 12)  # from a Saturday
    with pytest.raises(ValueError):
        plain.add_working_days(friday, 0)


def test_working_days_skip_indonesian_public_holidays_and_collective_leave():
    assert not INDONESIA.is_working_day(date(2026, 8, 17))  # Independence Day (a Monday)
    assert not INDONESIA.is_working_day(date(2026, 3, 20))  # Eid al-Fitr cuti bersama (Friday)
    assert not INDONESIA.is_working_day(date(2026, 3, 19))  # Nyepi, the Day of Silence
    assert not INDONESIA.is_working_day(date(2025, 12, 25))  # Christmas
    assert INDONESIA.is_working_day(date(2026, 3, 25))
    # Asked on Monday 16 March 2026, across Nyepi, Eid al-Fitr and its collective leave and Good
    # Friday: the 15th working day is 14 April (a plain weekday count would give 6 April).
    assert INDONESIA.add_working_days(date(2026, 3, 16), 15) == date(2026, 4, 14)
    assert WorkingCalendar(frozenset()).add_working_days(date(2026, 3, 16), 15) == date(2026, 4, 6)


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2026, 3, 2), 6) == date(2026, 9, 2)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 6) == date(2027, 5, 15)


@pytest.mark.parametrize(
    ("clock", "due"),
    [
        (C.DOCUMENTS_INCOMPLETE, date(2026, 3, 31)),
        # from Sunday 1 March: 12 working days to the 17th, then Nyepi and Eid's days off
        (C.CLARIFICATION_UNANSWERED, date(2026, 3, 27)),
        (C.COMPLAINANT_UNREACHABLE, date(2026, 4, 30)),
        (C.UNRESOLVABLE_NOTICE, date(2026, 9, 1)),
    ],
)
def test_each_clock_counts_its_period_from_the_day_after_its_start(clock, due):
    assert due_date(clock, date(2026, 3, 1), INDONESIA) == due


# -- the clocks of a case -----------------------------------------------------------------------
def test_incomplete_documents_start_a_30_day_clock_at_registration():
    case = open_case()
    assert case.next_deadline.clock is C.DOCUMENTS_INCOMPLETE
    assert case.next_deadline.due_on == OPENED + timedelta(days=30)
    assert case.events[0].due == case.next_deadline
    assert open_case(documents_complete=True).next_deadline is None


def test_documents_completed_stops_the_documents_clock():
    case = open_case()
    case.take_action(A.DOCUMENTS_COMPLETED, OPENED + timedelta(days=3))
    assert case.next_deadline is None and case.documents_complete
    assert case.events[-1].due is None


def test_a_clarification_request_runs_15_working_days_and_an_answer_stops_it():
    case = open_case(documents_complete=True)
    case.take_action(A.CLARIFICATION_REQUESTED, date(2026, 3, 16))
    due = case.next_deadline
    assert (due.clock, due.due_on) == (C.CLARIFICATION_UNANSWERED, date(2026, 4, 14))
    # a new request opens a new window
    case.take_action(A.CLARIFICATION_REQUESTED, date(2026, 4, 13))
    assert case.next_deadline.started_on == date(2026, 4, 13)
    case.take_action(A.CLARIFICATION_ANSWERED, date(2026, 4, 20))
    assert case.next_deadline is None


def test_unreachable_counts_60_consecutive_days_from_the_first_failed_attempt():
    case = open_case(documents_complete=True)
    case.take_action(A.CONTACT_FAILED, date(2026, 3, 10))
    case.take_action(A.CONTACT_FAILED, date(2026, 4, 1))  # still unreachable: no restart
    assert case.next_deadline.due_on == date(2026, 5, 9)
    case.take_action(A.CONTACT_FAILED, date(2026, 3, 5))  # an earlier attempt recorded late
    assert case.next_deadline.due_on == date(2026, 5, 4)
    case.take_action(A.COMPLAINANT_REACHED, date(2026, 4, 2))
    assert case.next_deadline is None


def test_an_answer_to_a_clarification_is_also_a_contact():
    case = open_case(documents_complete=True)
    case.take_action(A.CLARIFICATION_REQUESTED, date(2026, 3, 3))
    case.take_action(A.CONTACT_FAILED, date(2026, 3, 4))
    case.take_action(A.CLARIFICATION_ANSWERED, date(2026, 3, 9))
    assert case.clocks == Clocks()


def test_six_months_from_the_first_unresolvable_notice():
    case = open_case(documents_complete=True)
    case.take_action(A.UNRESOLVABLE_NOTIFIED, date(2026, 8, 31))
    case.take_action(A.UNRESOLVABLE_NOTIFIED, date(2026, 9, 30))
    assert case.next_deadline.due_on == date(2027, 2, 28)


def test_the_next_deadline_is_the_earliest_running_clock_and_events_carry_it():
    case = open_case()  # documents: due 1 April
    case.take_action(A.CONTACT_FAILED, date(2026, 3, 3))  # due 2 May
    case.take_action(A.CLARIFICATION_REQUESTED, date(2026, 3, 3))  # due 31 March
    taken = case.events[-1]
    assert isinstance(taken, events.ActionTaken)
    assert (taken.due.clock, taken.due.due_on) == (C.CLARIFICATION_UNANSWERED, date(2026, 3, 31))
    assert [d.clock for d in case.clocks.running] == [
        C.DOCUMENTS_INCOMPLETE,
        C.CLARIFICATION_UNANSWERED,
        C.COMPLAINANT_UNREACHABLE,
    ]
    case.take_action(A.CLARIFICATION_ANSWERED, date(2026, 3, 10))  # also stops unreachable
    assert case.next_deadline.clock is C.DOCUMENTS_INCOMPLETE


def test_services_and_steps_leave_the_clocks_alone():
    case = open_case()
    clocks = case.clocks
    for action in (A.MEDICAL, A.ASSESSMENT, A.CASE_PLAN, A.LEGAL_ASSISTANCE):
        case.take_action(action, OPENED)
        assert case.clocks == clocks


# -- closing on a deadline ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "clock", "reason"),
    [
        (None, C.DOCUMENTS_INCOMPLETE, ClosureReason.DOCUMENTS_INCOMPLETE),
        (
            A.CLARIFICATION_REQUESTED,
            C.CLARIFICATION_UNANSWERED,
            ClosureReason.CLARIFICATION_UNANSWERED,
        ),
        (A.CONTACT_FAILED, C.COMPLAINANT_UNREACHABLE, ClosureReason.COMPLAINANT_UNREACHABLE),
        (A.UNRESOLVABLE_NOTIFIED, C.UNRESOLVABLE_NOTICE, ClosureReason.UNRESOLVABLE),
    ],
)
def test_a_deadline_closure_waits_for_its_clock_to_end(action, clock, reason):
    case = open_case()
    if action is not None:
        case.take_action(action, OPENED)
    due = case.clocks.get(clock).due_on
    before = copy.deepcopy(vars(case))
    with pytest.raises(TransitionNotAllowed, match=f"ends on {due.isoformat()}"):
        case.close(reason, due - timedelta(days=1))
    assert vars(case) == before
    case.close(reason, due)
    assert case.status.value == "closed" and case.clocks == Clocks()
    assert case.next_deadline is None


def test_a_deadline_closure_needs_its_clock_running():
    case = open_case(documents_complete=True)
    with pytest.raises(TransitionNotAllowed, match="complainant_unreachable clock is not running"):
        case.close(ClosureReason.COMPLAINANT_UNREACHABLE, OPENED + timedelta(days=400))


def test_reopening_restarts_the_documents_clock_while_documents_are_incomplete():
    case = open_case()
    case.close(ClosureReason.DOCUMENTS_INCOMPLETE, OPENED + timedelta(days=30))
    reopened_on = date(2026, 6, 1)
    case.reopen(ReopeningReason.NEW_INFORMATION, reopened_on)
    assert case.next_deadline.due_on == reopened_on + timedelta(days=30)
    assert case.events[-1].due == case.next_deadline

    supplied = open_case()
    supplied.close(ClosureReason.DOCUMENTS_INCOMPLETE, OPENED + timedelta(days=31))
    supplied.reopen(ReopeningReason.DOCUMENTS_SUPPLIED, reopened_on)
    assert supplied.next_deadline is None and supplied.documents_complete
