"""illegal_fee and fee_warning: each fee-charged is one or the other, once per worker."""

from __future__ import annotations

from datetime import date

import pytest

from services.alerts.lifecycle import AlertNotFound
from shared.contract.codes import AlertResolution, AlertRule, Level, Severity

from .stream import CILACAP, KUPANG_1, Harness, summary, uid

ILLEGAL, WARNING = AlertRule.ILLEGAL_FEE, AlertRule.FEE_WARNING


@pytest.mark.parametrize(
    ("component", "charged_on", "occupation", "rule"),
    [
        ("passport", date(2026, 3, 1), "housekeeper", ILLEGAL),
        ("agency_service_fee", date(2021, 7, 15), "fishing_crew", ILLEGAL),  # the first day
        ("passport", date(2021, 7, 14), "housekeeper", WARNING),  # before the regulation
        ("other", date(2026, 3, 1), "housekeeper", WARNING),  # not one of the fourteen
        ("passport", date(2026, 3, 1), "factory_worker", WARNING),  # not one of the ten
        ("passport", date(2026, 3, 1), None, WARNING),  # occupation unknown
    ],
)
def test_a_fee_is_illegal_only_under_all_three_conditions(component, charged_on, occupation, rule):
    h = Harness()
    worker = h.log.registered(KUPANG_1)
    h.feed(worker)

    (raised,) = h.feed(
        h.log.fee(worker.subject, component=component, charged_on=charged_on, occupation=occupation)
    )

    assert raised.type == "alert-raised"
    assert raised.alert.rule is rule
    assert raised.alert.about == worker.subject
    assert raised.alert.severity is (Severity.CRITICAL if rule is ILLEGAL else Severity.WARNING)


def test_the_worker_s_regency_acts_on_a_fee_and_sees_it():
    h = Harness()
    worker = h.log.registered(CILACAP)
    h.feed(worker)

    (raised,) = h.feed(fee := h.log.fee(worker.subject))

    alert = raised.alert
    assert (alert.level, alert.area) == (Level.REGENCY, "33.01")
    assert alert.visible_to("33.01") and alert.visible_to("33") and alert.visible_to("ID")
    assert not alert.visible_to(CILACAP) and not alert.visible_to("53")
    envelope = raised.envelope()
    assert (envelope.source, envelope.area, envelope.sequence) == ("alerts", "33.01", 1)
    assert envelope.subject == str(alert.id)
    assert envelope.causation_id == str(fee.id)
    assert envelope.data == {
        "rule": "illegal_fee",
        "severity": "critical",
        "level": "regency",
        "about": worker.subject,
    }
    assert alert.details["fee_id"] == fee.data["fee_id"]
    assert alert.details["component"] == "passport"


def test_more_fees_while_the_alert_is_open_change_nothing():
    h = Harness()
    worker = h.log.registered()
    h.feed(worker)
    h.feed(h.log.fee(worker.subject))

    assert h.feed(h.log.fee(worker.subject, component="work_visa")) == []
    assert h.feed(h.log.fee(worker.subject, component="health_exam")) == []


def test_an_illegal_fee_and_a_warning_are_two_alerts_about_the_same_worker():
    h = Harness()
    worker = h.log.registered()
    h.feed(worker)

    h.feed(h.log.fee(worker.subject), h.log.fee(worker.subject, component="other"))

    assert summary(h.out) == [
        ("alert-raised", "illegal_fee", worker.subject),
        ("alert-raised", "fee_warning", worker.subject),
    ]


def test_the_same_event_twice_and_the_same_fee_in_another_event_change_nothing():
    h = Harness()
    worker = h.log.registered()
    h.feed(worker)
    fee = h.log.fee(worker.subject)
    (raised,) = h.feed(fee)
    h.engine.resolve(raised.alert.id, by="monitor-1", note=AlertResolution.ACTION_TAKEN)

    assert h.feed(fee) == []  # a redelivery: same id, same sequence
    assert h.feed(h.log.again(fee)) == []  # re-published: same fee_id, new id and sequence


def test_a_new_fee_after_a_monitor_resolved_the_alert_raises_a_new_one():
    h = Harness()
    worker = h.log.registered()
    h.feed(worker)
    (first,) = h.feed(h.log.fee(worker.subject))
    (resolved,) = h.engine.resolve(first.alert.id, by="monitor-1", note=AlertResolution.REFERRED)
    assert resolved.alert.resolution is AlertResolution.REFERRED

    (second,) = h.feed(h.log.fee(worker.subject, component="work_visa"))

    assert second.type == "alert-raised" and second.alert.id != first.alert.id
    with pytest.raises(AlertNotFound):  # the first one has left the live alerts
        h.engine.acknowledge(first.alert.id, by="monitor-1")


def test_a_fee_does_not_resolve_itself():
    h = Harness()
    worker = h.log.registered()
    h.feed(worker)
    h.feed(h.log.fee(worker.subject))

    h.feed(h.log.verified(worker.subject), h.log.departed(worker.subject))

    assert h.live(ILLEGAL, worker.subject) is not None
    assert h.engine.next_due() is None


def test_a_fee_for_a_worker_whose_registration_was_not_seen_still_counts():
    h = Harness()
    worker = uid()
    h.log.area_of[worker] = KUPANG_1
    (raised,) = h.feed(h.log.fee(worker))
    assert raised.alert.area == "53.71"
