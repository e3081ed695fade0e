"""The workflow new → assessment → case plan → service provision → services implemented →
closed → reopened, and its refusals (each changes nothing)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from services.cases.cases.workflow import DEADLINE_STEPS, STEPS, status_after
from services.cases.errors import InvalidField, TransitionNotAllowed
from shared.contract.codes import (
    CASE_SERVICES,
    CaseAction,
    CaseStatus,
    ClosureReason,
    ReopeningReason,
)
from tests.unit.cases.builders import OPENED, open_case, through_services

A = CaseAction
S = CaseStatus


def snapshot(case):
    return copy.deepcopy(vars(case))


def test_the_whole_workflow_in_order():
    case = open_case()
    assert case.status is S.NEW
    seen = []
    for action in (A.ASSESSMENT, A.CASE_PLAN, A.LEGAL_ASSISTANCE, A.SERVICES_COMPLETED):
        case.take_action(action, OPENED)
        seen.append(case.status)
    assert seen == [S.ASSESSMENT, S.CASE_PLAN, S.SERVICE_PROVISION, S.SERVICES_IMPLEMENTED]
    case.close(ClosureReason.RESOLVED, date(2026, 4, 1))
    assert case.status is S.CLOSED and case.closure.reason is ClosureReason.RESOLVED
    case.reopen(ReopeningReason.PROBLEM_RECURRED, date(2026, 5, 1))
    assert case.status is S.ASSESSMENT and case.closure is None


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.NEW, A.CASE_PLAN),
        (S.NEW, A.SERVICES_COMPLETED),
        (S.ASSESSMENT, A.ASSESSMENT),
        (S.ASSESSMENT, A.SERVICES_COMPLETED),
        (S.CASE_PLAN, A.ASSESSMENT),
        (S.CASE_PLAN, A.SERVICES_COMPLETED),
        (S.SERVICES_IMPLEMENTED, A.CASE_PLAN),
        (S.CLOSED, A.MEDICAL),
        (S.CLOSED, A.ASSESSMENT),
        (S.CLOSED, A.CONTACT_FAILED),
    ],
)
def test_impossible_steps_are_refused(status, action):
    with pytest.raises(TransitionNotAllowed) as refused:
        status_after(status, action)
    assert status.value in refused.value.message


def test_a_refused_step_changes_nothing():
    case = open_case()
    before = snapshot(case)
    with pytest.raises(TransitionNotAllowed, match="needs status service_provision"):
        case.take_action(A.SERVICES_COMPLETED, OPENED)
    assert snapshot(case) == before


def test_services_are_recorded_at_any_open_status_and_start_provision_from_the_plan():
    # A survivor's medical care cannot wait for a plan: before it, the status stays.
    assert status_after(S.NEW, A.MEDICAL) is S.NEW
    assert status_after(S.ASSESSMENT, A.PSYCHOSOCIAL) is S.ASSESSMENT
    assert status_after(S.CASE_PLAN, A.REPATRIATION) is S.SERVICE_PROVISION
    assert status_after(S.SERVICE_PROVISION, A.FEE_REFUND) is S.SERVICE_PROVISION
    # a further service after all were implemented opens provision again
    assert status_after(S.SERVICES_IMPLEMENTED, A.DEBT_TRANSFER) is S.SERVICE_PROVISION


def test_every_action_code_is_a_service_a_step_or_a_deadline_step():
    assert CASE_SERVICES | set(STEPS) | DEADLINE_STEPS == set(CaseAction)
    assert not CASE_SERVICES & DEADLINE_STEPS and not set(STEPS) & DEADLINE_STEPS
    for status in (S.NEW, S.ASSESSMENT, S.SERVICE_PROVISION):
        for step in DEADLINE_STEPS:
            assert status_after(status, step) is status


def test_actions_are_kept_with_their_dates():
    case = open_case()
    case.take_action(A.MEDICAL, date(2026, 3, 3))
    case.take_action(A.ASSESSMENT, date(2026, 3, 4))
    assert [(r.action, r.taken_on) for r in case.actions] == [
        (A.MEDICAL, date(2026, 3, 3)),
        (A.ASSESSMENT, date(2026, 3, 4)),
    ]


def test_an_action_dated_before_the_case_was_opened_is_refused():
    case = open_case()
    before = snapshot(case)
    with pytest.raises(InvalidField) as refused:
        case.take_action(A.MEDICAL, date(2026, 3, 1))
    assert refused.value.field == "taken_on"
    assert snapshot(case) == before


def test_resolved_needs_services_implemented():
    case = open_case()
    case.take_action(A.ASSESSMENT, OPENED)
    before = snapshot(case)
    with pytest.raises(TransitionNotAllowed, match="services_implemented"):
        case.close(ClosureReason.RESOLVED, OPENED)
    assert snapshot(case) == before
    through = through_services(open_case())
    through.close(ClosureReason.RESOLVED, OPENED)
    assert through.status is S.CLOSED


def test_withdrawn_closes_from_any_open_status():
    for steps in ([], [A.ASSESSMENT], [A.ASSESSMENT, A.CASE_PLAN]):
        case = open_case()
        for step in steps:
            case.take_action(step, OPENED)
        case.close(ClosureReason.WITHDRAWN, OPENED, "She no longer wants to pursue it.")
        assert case.status is S.CLOSED
        assert case.closure.note == "She no longer wants to pursue it."


def test_a_closed_case_cannot_be_closed_again_and_an_open_one_cannot_be_reopened():
    case = open_case()
    with pytest.raises(TransitionNotAllowed, match="needs a closed case"):
        case.reopen(ReopeningReason.NEW_INFORMATION, OPENED)
    case.close(ClosureReason.WITHDRAWN, OPENED)
    before = snapshot(case)
    with pytest.raises(TransitionNotAllowed, match="needs an open case"):
        case.close(ClosureReason.WITHDRAWN, OPENED)
    assert snapshot(case) == before


def test_duplicate_names_the_case_it_was_merged_into_and_only_it_does():
    case, other = open_case(), open_case()
    with pytest.raises(InvalidField) as refused:
        case.close(ClosureReason.DUPLICATE, OPENED)
    assert refused.value.field == "merged_into"
    with pytest.raises(InvalidField):
        case.close(ClosureReason.WITHDRAWN, OPENED, merged_into=other.id)
    with pytest.raises(InvalidField):
        case.close(ClosureReason.DUPLICATE, OPENED, merged_into=case.id)
    case.close(ClosureReason.DUPLICATE, OPENED, merged_into=other.id)
    assert case.closure.merged_into == other.id


def test_report_rejected_is_only_for_untriaged_reports():
    case = open_case()
    with pytest.raises(TransitionNotAllowed, match="untriaged report"):
        case.close(ClosureReason.REPORT_REJECTED, OPENED)


def test_reopening_is_dated_after_the_closure_and_notes_are_bounded():
    case = open_case()
    case.close(ClosureReason.WITHDRAWN, date(2026, 3, 10))
    with pytest.raises(InvalidField) as early:
        case.reopen(ReopeningReason.NEW_INFORMATION, date(2026, 3, 9))
    assert early.value.field == "reopened_on"
    with pytest.raises(InvalidField) as long:
        case.reopen(ReopeningReason.OTHER, date(2026, 3, 11), "x" * 1001)
    assert long.value.field == "note"
    assert "xxx" not in long.value.message  # never echoes what was sent
    case.reopen(ReopeningReason.OTHER, date(2026, 3, 11), "  The family came back.  ")
    assert case.events[-1].note == "The family came back."
