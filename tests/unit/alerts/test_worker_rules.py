"""return_overdue and non_procedural."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.alerts.clock import start_of
from services.alerts.settings import RuleSettings
from shared.contract.codes import AlertResolution, AlertRule, Level, Severity

from .stream import CILACAP, KUPANG_1, KUPANG_2, Harness, summary

RETURN, NON_PROCEDURAL = AlertRule.RETURN_OVERDUE, AlertRule.NON_PROCEDURAL


def _departed(h: Harness, contract_end: date | None, village: str = KUPANG_1) -> str:
    worker = h.log.registered(village)
    h.feed(worker, h.log.verified(worker.subject))
    h.feed(h.log.departed(worker.subject, contract_end=contract_end))
    return worker.subject


# -- return_overdue -----------------------------------------------------------------------------
def test_a_return_is_overdue_once_the_grace_after_the_contract_s_end_has_passed():
    h = Harness()
    worker = _departed(h, contract_end=date(2026, 6, 30))

    assert h.at(start_of(date(2026, 7, 31)) - timedelta(seconds=1)) == []  # 30 days of grace
    (raised,) = h.at(start_of(date(2026, 7, 31)))

    alert = raised.alert
    assert (alert.rule, alert.about, alert.severity) == (RETURN, worker, Severity.WARNING)
    assert (alert.level, alert.area) == (Level.VILLAGE, KUPANG_1)  # art. 42: the village
    assert alert.details == {"contract_end": "2026-06-30"}
    assert h.after(timedelta(days=60)) == []


def test_the_return_resolves_it_and_a_return_in_time_prevents_it():
    h = Harness()
    late, on_time = _departed(h, date(2026, 3, 10)), _departed(h, date(2026, 3, 10), KUPANG_2)
    h.at(datetime(2026, 4, 1, tzinfo=UTC))
    h.feed(h.log.returned(on_time))
    assert h.out == []

    (raised,) = h.at(start_of(date(2026, 4, 10)))
    assert raised.alert.about == late
    (resolved,) = h.feed(h.log.returned(late))

    assert resolved.type == "alert-resolved"
    assert resolved.alert.resolution is AlertResolution.CONDITION_CLEARED


def test_no_contract_end_no_clock_and_a_new_departure_moves_it():
    h = Harness()
    unknown_end = _departed(h, contract_end=None)
    worker = _departed(h, contract_end=date(2026, 3, 10), village=CILACAP)
    h.at(datetime(2026, 4, 15, tzinfo=UTC))
    assert summary(h.out) == [("alert-raised", "return_overdue", worker)]

    # The registry records a new placement (the return was never recorded): not overdue now.
    events = h.feed(h.log.departed(worker, contract_end=date(2028, 4, 15)))

    assert summary(events) == [("alert-resolved", "return_overdue", worker)]
    assert h.live(RETURN, unknown_end) is None
    assert h.engine.next_due() == start_of(date(2028, 5, 16))


def test_a_restart_across_the_grace_period_raises_it_on_the_first_tick():
    h = Harness(RuleSettings(return_overdue_grace_days=0))
    worker = _departed(h, contract_end=date(2026, 3, 10))
    h.restart()
    h.clock.set(datetime(2026, 9, 1, tzinfo=UTC))

    assert summary(h.engine.tick()) == [("alert-raised", "return_overdue", worker)]


# -- non_procedural -----------------------------------------------------------------------------
def test_a_departure_never_verified_is_non_procedural_for_the_regency():
    h = Harness()
    worker = h.log.registered(CILACAP, procedural=False)
    h.feed(worker)

    (raised,) = h.feed(departure := h.log.departed(worker.subject))

    alert = raised.alert
    assert (alert.rule, alert.about, alert.severity) == (
        NON_PROCEDURAL,
        worker.subject,
        Severity.WARNING,
    )
    assert (alert.level, alert.area) == (Level.REGENCY, "33.01")
    assert h.feed(h.log.again(departure)) == []  # the same departure again


def test_a_verified_departure_is_not():
    h = Harness()
    assert _departed(h, contract_end=None) and h.out == []


def test_an_unverified_worker_returning_and_leaving_again_is_flagged_again():
    h = Harness()
    worker = h.log.registered(KUPANG_1, procedural=False)
    h.feed(worker)
    (first,) = h.feed(h.log.departed(worker.subject, departed_on=date(2026, 3, 1)))
    assert h.feed(h.log.returned(worker.subject)) == []
    h.engine.resolve(first.alert.id, by="m", note=AlertResolution.ACTION_TAKEN)

    (second,) = h.feed(h.log.departed(worker.subject, departed_on=date(2026, 9, 1)))

    assert second.alert.id != first.alert.id


def test_a_verification_clears_it():
    h = Harness()
    worker = h.log.registered(procedural=False)
    h.feed(worker, h.log.departed(worker.subject))

    (resolved,) = h.feed(h.log.verified(worker.subject))

    assert resolved.alert.resolution is AlertResolution.CONDITION_CLEARED


def test_a_case_for_an_unregistered_worker_is_non_procedural_about_the_case():
    h = Harness()
    case = h.log.opened(KUPANG_1, worker=None, category="trafficking", level="province")

    events = h.feed(case)

    (raised,) = [e for e in events if e.alert.rule is NON_PROCEDURAL]
    assert (raised.alert.about, raised.alert.level, raised.alert.area) == (
        case.subject,
        Level.REGENCY,
        "53.71",
    )
    assert h.feed(h.log.opened(KUPANG_1)) == []  # a registered worker's case is not


def test_an_untriaged_report_is_flagged_once_verified():
    h = Harness()
    report = h.log.opened("53.71", worker=None, verified=False)  # names only a regency
    linked = h.log.opened("53.71", worker=None, verified=False)
    assert h.feed(report, linked) == []

    triage = h.log.triaged(report.subject, area=KUPANG_2)
    events = h.feed(triage, h.log.triaged(linked.subject, worker=str(uuid.uuid4())))

    assert summary(events) == [("alert-raised", "non_procedural", report.subject)]
    assert events[0].alert.area == "53.71"
    assert h.feed(triage, h.log.again(triage)) == []


def test_only_a_null_worker_id_means_an_unregistered_worker():
    h = Harness()
    h.log.case_version = 1
    case = h.log.opened(KUPANG_1)
    data = {k: v for k, v in case.data.items() if k != "worker_id"}  # a producer omitting it
    assert h.feed(case.model_copy(update={"data": data})) == []


@pytest.mark.parametrize("version", [1, 2])
def test_both_versions_of_case_opened_and_verified_say_whether_the_worker_is_registered(version):
    """Version 2 of case-opened and case-verified says ``registered_worker``; version 1 said
    ``worker_id`` (null: never registered). Records of both are on the topic."""
    h = Harness()
    h.log.case_version = version
    unregistered = h.log.opened(KUPANG_1, worker=None)
    registered = h.log.opened(KUPANG_1)
    assert unregistered.version == registered.version == version
    assert ("registered_worker" in registered.data) is (version == 2)
    events = h.feed(unregistered, registered)
    assert summary(events) == [("alert-raised", "non_procedural", unregistered.subject)]
    report = h.log.opened("53.71", worker=None, verified=False)
    found = h.log.opened("53.71", worker=None, verified=False)
    assert h.feed(report, found) == []
    triaged = h.feed(
        h.log.triaged(report.subject, area=KUPANG_2),
        h.log.triaged(found.subject, area=KUPANG_2, worker=str(uuid.uuid4())),
    )
    assert summary(triaged) == [("alert-raised", "non_procedural", report.subject)]
