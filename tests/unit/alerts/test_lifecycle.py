"""One live alert per (rule, about): raised, acknowledged, resolved; and the events each makes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.alerts.lifecycle import AlertAlreadyResolved, AlertNotFound
from shared.contract.codes import AlertResolution, AlertRule, AlertStatus
from shared.contract.events import AlertAcknowledged, AlertResolved, parse_data

from .stream import Harness

HOUR = timedelta(hours=1)


def _raised_unassigned(h: Harness):
    case = h.log.opened()
    h.feed(case)
    (raised,) = h.after(72 * HOUR)
    return case.subject, raised


def test_a_monitor_acknowledges_once_and_resolves_with_a_note():
    h = Harness()
    _, raised = _raised_unassigned(h)
    alert_id = raised.alert.id

    h.clock.advance(HOUR)
    (ack,) = h.engine.acknowledge(alert_id, by="monitor-kupang")
    assert h.engine.acknowledge(alert_id, by="monitor-other") == []  # already acknowledged
    h.clock.advance(HOUR)
    (res,) = h.engine.resolve(alert_id, by="monitor-kupang", note=AlertResolution.ACTION_TAKEN)

    assert ack.alert.status is AlertStatus.ACKNOWLEDGED
    assert (ack.alert.acknowledged_by, ack.alert.acknowledged_at) == (
        "monitor-kupang",
        raised.time + HOUR,
    )
    assert (res.alert.resolved_by, res.alert.resolution) == (
        "monitor-kupang",
        AlertResolution.ACTION_TAKEN,
    )
    envelopes = [e.envelope() for e in (raised, ack, res)]
    assert [e.sequence for e in envelopes] == [1, 2, 3]
    assert {e.subject for e in envelopes} == {str(alert_id)}
    assert {e.area for e in envelopes} == {"53.71.01.1001"}  # the case's village level
    assert parse_data(envelopes[1]) == AlertAcknowledged()
    assert parse_data(envelopes[2]) == AlertResolved(reason=AlertResolution.ACTION_TAKEN)
    assert envelopes[2].causation_id is None
    assert "monitor-kupang" not in str([e.to_json() for e in envelopes])  # who stays here


def test_a_resolved_alert_can_be_neither_acknowledged_nor_resolved_again():
    h = Harness()
    _, raised = _raised_unassigned(h)
    h.engine.resolve(raised.alert.id, by="m", note=AlertResolution.FALSE_ALARM)

    with pytest.raises(AlertAlreadyResolved):
        h.engine.acknowledge(raised.alert.id, by="m")
    with pytest.raises(AlertAlreadyResolved):
        h.engine.resolve(raised.alert.id, by="m", note=AlertResolution.DUPLICATE)


def test_unknown_alerts_and_the_rules_own_note_are_refused():
    h = Harness()
    _, raised = _raised_unassigned(h)
    with pytest.raises(AlertNotFound):
        h.engine.acknowledge(h.engine._new_id(), by="m")
    with pytest.raises(ValueError, match="not a monitor's note"):
        h.engine.resolve(raised.alert.id, by="m", note=AlertResolution.CONDITION_CLEARED)


def test_a_condition_a_monitor_resolved_is_not_raised_again_until_it_has_ended():
    h = Harness()
    case, raised = _raised_unassigned(h)
    h.engine.resolve(raised.alert.id, by="m", note=AlertResolution.NO_ACTION_NEEDED)

    assert h.feed(h.log.referred(case)) == []
    assert h.after(100 * HOUR) == []
    assert h.feed(h.log.assigned(case)) == []  # ended: no event, the alert was resolved
    assert h.live(AlertRule.CASE_UNASSIGNED, case) is None
    changes = h.engine.state.take_changes()
    assert changes.alerts[raised.alert.id].cleared  # written back as history


def test_an_acknowledged_alert_resolves_itself_when_its_condition_ends():
    h = Harness()
    case, raised = _raised_unassigned(h)
    h.engine.acknowledge(raised.alert.id, by="m")

    (resolved,) = h.feed(assigned := h.log.assigned(case))

    assert resolved.alert.acknowledged_by == "m"
    assert (resolved.alert.resolved_by, resolved.alert.resolution) == (
        None,
        AlertResolution.CONDITION_CLEARED,
    )
    assert resolved.envelope().causation_id == str(assigned.id)


def test_visibility_follows_the_area():
    h = Harness()
    _, raised = _raised_unassigned(h)
    alert = raised.alert
    assert [alert.visible_to(a) for a in ("ID", "53", "53.71", "53.71.01.1001")] == [True] * 4
    assert [alert.visible_to(a) for a in ("52", "53.01", "53.71.01.1002")] == [False] * 3


def test_a_snapshot_copies_every_field():
    h = Harness()
    _, raised = _raised_unassigned(h)
    h.engine.acknowledge(raised.alert.id, by="m")
    (resolved,) = h.engine.resolve(raised.alert.id, by="m", note=AlertResolution.DUPLICATE)
    alert = h.engine.state.alerts.by_id[raised.alert.id]  # latched: the case is unassigned

    snapshot = alert.copy()

    assert snapshot == alert == resolved.alert and snapshot is not alert
    assert snapshot.details is not alert.details
    assert None not in (alert.acknowledged_at, alert.resolved_at, alert.resolution)
