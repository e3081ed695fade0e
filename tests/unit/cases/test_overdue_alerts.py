"""The automatic escalation on a ``case_overdue`` alert: once per alert, and never on a stale
one. The decision is pure; handling it again (a redelivery, a replay) changes nothing."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.cases.cases import events
from services.cases.cases.escalation import (
    Outcome,
    OverdueAlert,
    decide,
    handle_overdue_alert,
)
from shared.contract import new_event
from shared.contract.codes import (
    CaseAction,
    ClosureReason,
    EscalationReason,
    Level,
    ReopeningReason,
    Severity,
)
from shared.contract.events import AlertRaised
from tests.unit.cases.builders import OPENED, open_case

DUE = OPENED + timedelta(days=30)  # the documents clock of a case opened on OPENED


def alert(case, level=Level.VILLAGE, raised_on=DUE, rule="case_overdue", about=None):
    return OverdueAlert(
        alert_id=uuid.uuid4(),
        rule=rule,
        about=about or str(case.id),
        level=level,
        raised_on=raised_on,
    )


def test_an_overdue_alert_escalates_one_level_with_the_case_overdue_reason():
    case = open_case()
    assert case.next_deadline.due_on == DUE
    overdue = alert(case)
    assert decide(case, overdue).to_level is Level.REGENCY
    assert case.level is Level.VILLAGE  # deciding changes nothing
    decision = handle_overdue_alert(case, overdue)
    assert decision.escalates and case.level is Level.REGENCY
    escalated = case.events[-1]
    assert isinstance(escalated, events.CaseEscalated)
    assert escalated.reason is EscalationReason.CASE_OVERDUE
    assert escalated.alert_id == overdue.alert_id


def test_the_same_alert_again_changes_nothing():
    case = open_case()
    overdue = alert(case)
    handle_overdue_alert(case, overdue)
    before = copy.deepcopy(vars(case))
    again = handle_overdue_alert(case, overdue)
    assert again.outcome is Outcome.ALREADY_HANDLED
    assert vars(case) == before


def test_the_chain_climbs_to_national_one_alert_at_a_time():
    case = open_case()
    levels = []
    for level in (Level.VILLAGE, Level.REGENCY, Level.PROVINCE):
        handle_overdue_alert(case, alert(case, level=level))
        levels.append(case.level)
    assert levels == [Level.REGENCY, Level.PROVINCE, Level.NATIONAL]
    top = handle_overdue_alert(case, alert(case, level=Level.NATIONAL))
    assert top.outcome is Outcome.AT_NATIONAL_LEVEL and case.level is Level.NATIONAL


@pytest.mark.parametrize(
    ("prepare", "outcome"),
    [
        (lambda c: c.close(ClosureReason.WITHDRAWN, OPENED), Outcome.CASE_CLOSED),
        (lambda c: c.escalate(EscalationReason.NO_PROGRESS), Outcome.ALREADY_ESCALATED),
        (lambda c: c.take_action(CaseAction.DOCUMENTS_COMPLETED, OPENED), Outcome.NO_CLOCK_ENDED),
    ],
)
def test_a_stale_alert_is_remembered_and_escalates_nothing(prepare, outcome):
    case = open_case()
    prepare(case)
    level, overdue = case.level, alert(case)
    decision = handle_overdue_alert(case, overdue)
    assert decision.outcome is outcome and case.level is level
    assert overdue.alert_id in case.handled_alerts
    ignored = case.events[-1]
    assert isinstance(ignored, events.OverdueAlertIgnored) and not ignored.published
    # remembered: even after a reopening, a replay of this alert decides nothing new
    if not case.is_open:
        case.reopen(ReopeningReason.OTHER, DUE)
    assert handle_overdue_alert(case, overdue).outcome is Outcome.ALREADY_HANDLED


def test_an_alert_before_the_clock_ends_is_stale():
    case = open_case()
    early = alert(case, raised_on=DUE - timedelta(days=1))
    assert decide(case, early).outcome is Outcome.NO_CLOCK_ENDED


def test_alerts_of_other_rules_or_about_other_cases_are_not_for_this_case():
    case = open_case()
    for other in (alert(case, rule="case_deadline_near"), alert(case, about=str(uuid.uuid4()))):
        before = copy.deepcopy(vars(case))
        assert handle_overdue_alert(case, other).outcome is Outcome.NOT_FOR_THIS_CASE
        assert vars(case) == before


def test_the_alert_is_read_from_the_contract_event_in_indonesian_time():
    case = open_case()
    alert_id = uuid.uuid4()
    assert date(2026, 4, 1) == DUE
    # 31 March 16:00 UTC is already 1 April in eastern Indonesia (UTC+9): the clock has ended
    envelope = new_event(
        source="alerts",
        subject=str(alert_id),
        sequence=1,
        area="53.71.01.1001",
        data=AlertRaised(
            rule="case_overdue", severity=Severity.CRITICAL, level=Level.VILLAGE, about=str(case.id)
        ),
        time=datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
    )
    overdue = OverdueAlert.from_event(envelope, AlertRaised.model_validate(envelope.data))
    assert overdue.alert_id == alert_id and overdue.raised_on == DUE
    assert decide(case, overdue).escalates
