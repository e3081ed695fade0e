"""case_unassigned, case_deadline_near and case_overdue: driven by the clock, across restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.alerts.clock import start_of
from services.alerts.settings import RuleSettings
from shared.contract.codes import AlertResolution, AlertRule, Level, Severity

from .stream import CILACAP, KUPANG_1, START, Harness, summary

UNASSIGNED, NEAR, OVERDUE = (
    AlertRule.CASE_UNASSIGNED,
    AlertRule.CASE_DEADLINE_NEAR,
    AlertRule.CASE_OVERDUE,
)
HOUR = timedelta(hours=1)


def _only(events, rule):
    return [e for e in events if e.alert.rule is rule]


# -- case_unassigned ----------------------------------------------------------------------------
def test_a_case_not_assigned_after_72_hours_raises_a_warning_at_its_level():
    h = Harness()
    case = h.log.opened(CILACAP, level="regency")
    assert h.feed(case) == []
    assert h.after(72 * HOUR - timedelta(seconds=1)) == []

    (raised,) = h.after(timedelta(seconds=1))

    alert = raised.alert
    assert (alert.rule, alert.about, alert.severity) == (UNASSIGNED, case.subject, Severity.WARNING)
    assert (alert.level, alert.area) == (Level.REGENCY, "33.01")
    assert raised.cause is None  # the clock raised it
    assert h.after(72 * HOUR) == []  # once per open condition


@pytest.mark.parametrize(
    ("category", "gbv_type"),
    [("trafficking", None), ("sexual_harassment", None), ("unpaid_wages", "psychological_abuse")],
)
def test_trafficking_sexual_harassment_and_gbv_wait_24_hours_and_are_critical(category, gbv_type):
    h = Harness()
    h.feed(h.log.opened(category=category, gbv_type=gbv_type, level="province"))
    assert h.after(24 * HOUR - timedelta(seconds=1)) == []

    (raised,) = h.after(timedelta(seconds=1))

    assert (raised.alert.severity, raised.alert.level, raised.alert.area) == (
        Severity.CRITICAL,
        Level.PROVINCE,
        "53",
    )


def test_an_assignment_in_time_prevents_it_and_a_late_one_resolves_it():
    h = Harness()
    early, late = h.log.opened(), h.log.opened()
    h.feed(early, late)
    h.after(71 * HOUR)
    h.feed(h.log.assigned(early.subject))
    (raised,) = h.after(HOUR)
    assert raised.alert.about == late.subject

    # The assignment happened in time but its event arrives only now: the alert resolves.
    (resolved,) = h.feed(h.log.assigned(late.subject, time=START + 70 * HOUR))

    assert summary([resolved]) == [("alert-resolved", "case_unassigned", late.subject)]
    assert resolved.alert.resolution is AlertResolution.CONDITION_CLEARED
    assert resolved.envelope().sequence == 2


def test_a_closed_case_needs_no_worker_and_a_reopened_one_waits_again():
    h = Harness()
    case = h.log.opened()
    h.feed(case, h.log.closed(case.subject))
    assert h.after(100 * HOUR) == []

    h.feed(h.log.reopened(case.subject))
    assert h.after(71 * HOUR) == []
    (raised,) = h.after(HOUR)
    assert raised.alert.rule is UNASSIGNED


def test_a_case_opened_and_assigned_within_one_batch_of_a_replay_raises_nothing():
    h = Harness()
    h.clock.advance(timedelta(days=30))  # the events are a month old
    case = h.log.opened(time=START)
    assigned = h.log.assigned(case.subject, time=START + HOUR)

    assert h.feed(case, assigned) == []
    assert h.engine.next_due() is None


def test_a_late_case_opening_already_past_its_time_raises_at_once():
    h = Harness()
    h.clock.advance(timedelta(days=4))
    case = h.log.opened(time=START)

    (raised,) = h.feed(case)

    assert raised.alert.rule is UNASSIGNED
    assert raised.alert.raised_at == h.clock.now()


def test_the_same_case_opened_twice_and_replayed_events_change_nothing():
    h = Harness()
    case = h.log.opened()
    assign = h.log.assigned(case.subject)
    h.feed(case)
    h.after(80 * HOUR)
    h.feed(assign)

    assert h.feed(case, h.log.again(case), assign) == []
    assert h.after(100 * HOUR) == []
    assert len(h.out) == 2  # raised once, resolved once


# -- deadlines ----------------------------------------------------------------------------------
def test_a_deadline_warns_five_days_before_and_is_overdue_when_it_ends():
    h = Harness()
    due = date(2026, 3, 20)
    case = h.log.opened(level="village", due_on=due, due_clock="documents_incomplete")
    h.feed(case, h.log.assigned(case.subject))

    assert h.at(start_of(due) - timedelta(days=5, seconds=1)) == []
    (near,) = h.at(start_of(due) - timedelta(days=5))
    assert (near.alert.rule, near.alert.severity, near.alert.level) == (
        NEAR,
        Severity.WARNING,
        Level.VILLAGE,
    )
    assert near.alert.area == KUPANG_1
    assert near.alert.details == {"due_on": "2026-03-20", "due_clock": "documents_incomplete"}

    events = h.at(start_of(due))

    assert summary(events) == [
        ("alert-resolved", "case_deadline_near", case.subject),
        ("alert-raised", "case_overdue", case.subject),
    ]
    overdue = events[1].alert
    # The cases service escalates the case on it: the level above must act.
    assert (overdue.severity, overdue.level, overdue.area) == (
        Severity.CRITICAL,
        Level.REGENCY,
        "53.71",
    )
    assert h.after(timedelta(days=30)) == []


def test_a_case_opened_within_the_warning_window_warns_at_once():
    h = Harness()
    case = h.log.opened(due_on=date(2026, 3, 4))
    h.feed(h.log.assigned(case.subject))  # unknown case yet: ignored
    (near,) = h.feed(case)
    assert near.alert.rule is NEAR


def test_a_deadline_moved_later_clears_both_and_the_new_one_counts_again():
    h = Harness()
    case = h.log.opened(due_on=date(2026, 3, 5))
    h.feed(case, h.log.assigned(case.subject))
    (first,) = _only(h.at(start_of(date(2026, 3, 5))), OVERDUE)
    h.feed(h.log.escalated(case.subject, "village", "regency"))
    assert h.live(OVERDUE, case.subject) is not None  # escalating alone does not stop the clock

    events = h.feed(h.log.action(case.subject, due_on=date(2026, 4, 30)))

    assert summary(events) == [("alert-resolved", "case_overdue", case.subject)]
    (near,) = h.at(start_of(date(2026, 4, 25)))
    assert (near.alert.rule, near.alert.level) == (NEAR, Level.REGENCY)  # now at the regency
    (_, second) = h.at(start_of(date(2026, 4, 30)))
    assert second.alert.rule is OVERDUE and second.alert.id != first.alert.id
    assert (second.alert.level, second.alert.area) == (Level.PROVINCE, "53")


def test_closing_a_case_or_stopping_its_clock_clears_its_deadline_alerts():
    h = Harness()
    stopped, closed = h.log.opened(due_on=date(2026, 3, 5)), h.log.opened(due_on=date(2026, 3, 5))
    h.feed(stopped, closed, h.log.assigned(stopped.subject), h.log.assigned(closed.subject))
    assert len(_only(h.out, NEAR)) == 2

    events = h.feed(h.log.action(stopped.subject, due_on=None), h.log.closed(closed.subject))

    assert {(e.type, e.alert.about) for e in events} == {
        ("alert-resolved", stopped.subject),
        ("alert-resolved", closed.subject),
    }
    assert h.at(start_of(date(2026, 6, 1))) == []


def test_triage_may_make_a_report_urgent_and_narrow_its_area():
    h = Harness()
    report = h.log.opened("53.71", worker=None, verified=False)  # names only the regency
    h.feed(report)
    h.after(2 * HOUR)

    h.feed(h.log.triaged(report.subject, area=KUPANG_1, category="trafficking", level="province"))
    (raised,) = _only(h.after(22 * HOUR), UNASSIGNED)  # 24 h after it was opened

    assert (raised.alert.severity, raised.alert.level, raised.alert.area) == (
        Severity.CRITICAL,
        Level.PROVINCE,
        "53",
    )


def test_a_restart_across_a_deadline_fires_it_once_on_the_first_tick():
    h = Harness()
    waiting = h.log.opened(due_on=date(2026, 3, 20))
    due = h.log.opened(due_on=date(2026, 3, 20))
    h.feed(waiting, due, h.log.assigned(due.subject))
    h.at(datetime(2026, 3, 10, tzinfo=UTC))  # waiting's unassigned alert raised before the stop
    before = len(h.out)

    h.restart()  # the service stops ...
    h.clock.set(datetime(2026, 3, 25, tzinfo=UTC))  # ... and comes back after the deadline
    events = h.engine.tick()

    # Only what holds now: the warning's time came and went while the service was down.
    assert sorted(summary(events)) == sorted(
        [
            ("alert-raised", "case_overdue", due.subject),
            ("alert-raised", "case_overdue", waiting.subject),
        ]
    )
    assert summary(h.out[:before]) == [("alert-raised", "case_unassigned", waiting.subject)]
    h.restart()
    assert h.engine.tick() == []
    assert h.feed(h.log.assigned(waiting.subject))[0].alert.rule is UNASSIGNED  # resolved


def test_thresholds_are_settings():
    h = Harness(RuleSettings(case_unassigned_hours=12, case_deadline_near_days=10))
    case = h.log.opened(due_on=date(2026, 3, 30))
    h.feed(case)
    (raised,) = h.after(12 * HOUR)
    assert raised.alert.rule is UNASSIGNED
    (near,) = h.at(start_of(date(2026, 3, 20)))
    assert near.alert.rule is NEAR


def test_a_warning_raised_before_a_restart_is_resolved_by_the_overdue_after_it():
    h = Harness()
    case = h.log.opened(due_on=date(2026, 3, 20))
    h.feed(case, h.log.assigned(case.subject))
    (near,) = h.at(datetime(2026, 3, 16, tzinfo=UTC))
    h.restart()
    h.clock.set(datetime(2026, 3, 22, tzinfo=UTC))

    events = h.engine.tick()

    assert summary(events) == [
        ("alert-resolved", "case_deadline_near", case.subject),
        ("alert-raised", "case_overdue", case.subject),
    ]
    assert events[0].alert.id == near.alert.id and events[0].envelope().sequence == 2
