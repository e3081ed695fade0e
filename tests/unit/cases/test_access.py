"""Confidentiality: jurisdiction, who reads the case file, break the glass (3 hours), audit."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.cases.access import audit
from services.cases.access.break_glass import GRANT_DURATION, break_the_glass, reach_of
from services.cases.access.policy import (
    CaseFile,
    CaseSummary,
    Change,
    Visibility,
    disclose,
    may,
    may_open,
    require_permission,
    visibility,
)
from services.cases.errors import InvalidField, NotPermitted, RuleViolation
from services.cases.reports.model import Submission, submit
from shared.auth import Role
from shared.contract.codes import CaseCategory, EscalationReason, GbvType, Sex
from tests.unit.cases.builders import (
    OPENED,
    OTHER_PROVINCE,
    OTHER_VILLAGE,
    PROVINCE,
    REGENCY,
    VILLAGE,
    actor,
    consent,
    open_case,
    worker,
)

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
NARRATIVE = "He hit her and took her phone; she was raped by the employer's son."
ASSIGNEE = worker(Sex.FEMALE, area=PROVINCE, name="cw-maria")


def gbv_case():
    case = open_case(
        category=CaseCategory.EMPLOYER_VIOLENCE, gbv_type=GbvType.RAPE, narrative=NARRATIVE
    )
    case.assign(ASSIGNEE)
    return case


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        (actor(Role.CASE_WORKER, PROVINCE, "cw-maria"), Visibility.FILE),  # the assignee
        (actor(Role.SUPERVISOR, PROVINCE), Visibility.FILE),
        (actor(Role.SUPERVISOR, "ID"), Visibility.FILE),
        (actor(Role.CASE_WORKER, PROVINCE, "cw-other"), Visibility.SUMMARY),
        (actor(Role.REGENCY_OFFICER, REGENCY), Visibility.SUMMARY),
        (actor(Role.VILLAGE_OFFICER, VILLAGE), Visibility.SUMMARY),
        (actor(Role.PROVINCE_OFFICER, PROVINCE), Visibility.SUMMARY),
        (actor(Role.MINISTRY, "ID"), Visibility.SUMMARY),
        (actor(Role.MONITOR, REGENCY), Visibility.SUMMARY),
        (actor(Role.VILLAGE_OFFICER, OTHER_VILLAGE), Visibility.NONE),
        (actor(Role.SUPERVISOR, OTHER_PROVINCE), Visibility.NONE),
        (actor(Role.OPERATOR, "ID"), Visibility.NONE),
    ],
)
def test_who_sees_what(who, seen):
    assert visibility(who, gbv_case(), NOW) is seen


def test_a_summary_carries_category_level_and_status_and_nothing_personal():
    case = gbv_case()
    summary = disclose(case, Visibility.SUMMARY)
    assert isinstance(summary, CaseSummary)
    assert (summary.category, summary.level, summary.status) == (
        case.category,
        case.level,
        case.status,
    )
    shown = repr(dataclasses.asdict(summary))
    for secret in (NARRATIVE, str(case.worker_id), "rape", "female", "cw-maria"):
        assert secret not in shown
    assert disclose(case, Visibility.NONE) is None


def test_the_file_carries_the_narrative_identity_and_the_reporters_contact():
    outcome = submit(
        Submission(
            area=VILLAGE,
            category=CaseCategory.SICK,
            sex=Sex.MALE,
            account="He is in hospital in Taipei.",
            contact="0812-0000-1111",
        ),
        uuid.uuid4(),
        OPENED,
    )
    file = disclose(outcome.case, Visibility.FILE, outcome.report)
    assert isinstance(file, CaseFile)
    assert file.narrative == "He is in hospital in Taipei." and file.sex is Sex.MALE
    assert file.reporter_contact == "0812-0000-1111"
    with pytest.raises(ValueError):
        disclose(open_case(), Visibility.FILE, outcome.report)


def test_officers_triaging_a_report_read_it_but_only_those_of_its_handling_area():
    case = submit(
        Submission(area=VILLAGE, category=CaseCategory.TRAFFICKING, sex=Sex.FEMALE, account="..."),
        uuid.uuid4(),
        OPENED,
    ).case  # trafficking: handled by the province
    assert visibility(actor(Role.PROVINCE_OFFICER, PROVINCE), case, NOW) is Visibility.FILE
    assert visibility(actor(Role.VILLAGE_OFFICER, VILLAGE), case, NOW) is Visibility.SUMMARY
    assert may(actor(Role.PROVINCE_OFFICER, PROVINCE), case, Change.TRIAGE)
    assert not may(actor(Role.VILLAGE_OFFICER, VILLAGE), case, Change.TRIAGE)


# -- break the glass ----------------------------------------------------------------------------
def test_break_the_glass_opens_the_file_for_three_hours_and_is_audited():
    case = gbv_case()
    outsider = actor(Role.CASE_WORKER, "53.04", "cw-belu")  # another regency of the province
    assert visibility(outsider, case, NOW) is Visibility.NONE
    reason = "She came to our shelter in Atambua tonight and needs care."
    grant = break_the_glass(outsider, case, reason, NOW, uuid.uuid4())
    assert grant.expires_at - grant.granted_at == GRANT_DURATION == timedelta(hours=3)
    assert visibility(outsider, case, NOW + timedelta(hours=2, minutes=59), [grant]) is (
        Visibility.FILE
    )
    assert visibility(outsider, case, NOW + timedelta(hours=3), [grant]) is Visibility.NONE
    assert visibility(outsider, open_case(), NOW, [grant]) is Visibility.NONE  # one case only
    someone_else = actor(Role.CASE_WORKER, "53.04", "cw-other")
    assert visibility(someone_else, case, NOW, [grant]) is Visibility.NONE
    assert grant.reason == reason  # kept on the grant's row, not in the audit trail
    record = audit.break_glass(outsider, grant)
    assert record.action is audit.AuditAction.BREAK_GLASS and record.grant_id == grant.id
    assert reason not in repr(record)
    assert record.actor == "cw-belu" and record.case_id == case.id


def test_break_the_glass_needs_a_reason_the_right_role_and_a_need():
    case = gbv_case()
    neighbour = actor(Role.SUPERVISOR, "53.04")  # another regency of the case's province
    with pytest.raises(InvalidField) as refused:
        break_the_glass(neighbour, case, "because", NOW, uuid.uuid4())
    assert refused.value.field == "reason"
    with pytest.raises(NotPermitted):
        break_the_glass(actor(Role.MONITOR, PROVINCE), case, "x" * 20, NOW, uuid.uuid4())
    with pytest.raises(NotPermitted):
        break_the_glass(actor(Role.OPERATOR, "ID"), case, "x" * 20, NOW, uuid.uuid4())
    with pytest.raises(RuleViolation, match="already see"):
        break_the_glass(actor(Role.SUPERVISOR, PROVINCE), case, "x" * 20, NOW, uuid.uuid4())
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(InvalidField):
        break_the_glass(neighbour, case, "x" * 20, naive, uuid.uuid4())
    # a case worker of the jurisdiction who is not assigned may break the glass too
    colleague = actor(Role.CASE_WORKER, PROVINCE, "cw-colleague")
    why = "Maria is ill; the survivor called."
    grant = break_the_glass(colleague, case, why, NOW, uuid.uuid4())
    assert visibility(colleague, case, NOW, [grant]) is Visibility.FILE


def test_break_the_glass_reaches_only_the_callers_province():
    case = gbv_case()  # in NTT (53)
    why = "She came to our shelter tonight and needs care."
    for role in (Role.CASE_WORKER, Role.SUPERVISOR):
        for area in (OTHER_PROVINCE, "52.01", "52.01.01.2001", "11"):
            with pytest.raises(NotPermitted, match="province"):
                break_the_glass(actor(role, area), case, why, NOW, uuid.uuid4())
        # anywhere in the case's province, down to a village of another regency
        for area in ("53.04", "53.04.01.2001"):
            assert break_the_glass(actor(role, area), case, why, NOW, uuid.uuid4())
    # a ministry-level case worker (area ID) reaches every case
    assert break_the_glass(actor(Role.CASE_WORKER, "ID"), case, why, NOW, uuid.uuid4())
    assert (reach_of("53.71.01.1001"), reach_of("53.71"), reach_of("53")) == ("53", "53", "53")
    assert reach_of("ID") == "ID"


# -- audit --------------------------------------------------------------------------------------
def test_every_read_and_every_change_is_audited_and_an_override_names_its_referral():
    case = gbv_case()
    supervisor = actor(Role.SUPERVISOR, PROVINCE)
    read = audit.read(supervisor, case.id, visibility(supervisor, case, NOW), NOW)
    assert (read.action, read.what, read.role) == (audit.AuditAction.READ, "file", "supervisor")
    refused = audit.read(actor(Role.OPERATOR, "ID"), case.id, Visibility.NONE, NOW)
    assert refused.what == "none"
    mark = len(case.events)
    case.escalate(EscalationReason.NEEDS_ACTION_ABROAD)
    reason = "Imminent danger: she must be moved to a safe house today."
    case.refer("safe_house.ntt", by=supervisor, override_reason=reason)
    # the ids of the rows the events added, as the repository returns them: a referral's
    records = audit.changes(supervisor, case.events[mark:], NOW, [None, None, 41])
    assert [(r.action, r.what) for r in records] == [
        (audit.AuditAction.CHANGE, "case-escalated"),
        (audit.AuditAction.CHANGE, "assignment-lapsed"),  # a province case worker, now national
        (audit.AuditAction.CONSENT_OVERRIDE, "case-referred"),
    ]
    assert [r.referral_id for r in records] == [None, None, 41]
    # the stated reason stays on the referral: no audit record carries free text
    assert all(reason not in repr(r) for r in records)


# -- who may change what ------------------------------------------------------------------------
def test_officers_change_cases_handled_within_their_area_only():
    case = open_case()  # handled by the village
    village = actor(Role.VILLAGE_OFFICER, VILLAGE)
    assert may(village, case, Change.ESCALATE) and may(village, case, Change.ACT)
    case.escalate(EscalationReason.BEYOND_LEVEL_AUTHORITY)  # now the regency's
    with pytest.raises(NotPermitted, match=r"handled at regency level, by 53\.71"):
        require_permission(village, case, Change.ACT)
    assert may(actor(Role.REGENCY_OFFICER, REGENCY), case, Change.ACT)
    assert may(actor(Role.MINISTRY, "ID"), case, Change.CLOSE)
    assert not may(actor(Role.REGENCY_OFFICER, "53.01"), case, Change.ACT)
    assert not may(actor(Role.REGENCY_OFFICER, REGENCY), case, Change.RECORD_CONSENT)


def test_the_assigned_case_worker_and_supervisors():
    case = open_case(consent=consent())
    cw = worker(area=REGENCY, name="cw-ana")
    case.assign(cw)
    assignee = actor(Role.CASE_WORKER, REGENCY, "cw-ana")
    for change in (Change.ACT, Change.REFER, Change.RECORD_CONSENT, Change.CLOSE):
        assert may(assignee, case, change)
    for change in (Change.ASSIGN, Change.TRIAGE, Change.REOPEN):
        assert not may(assignee, case, change)
    assert not may(actor(Role.CASE_WORKER, REGENCY, "cw-other"), case, Change.ACT)
    assert all(may(actor(Role.SUPERVISOR, REGENCY), case, c) for c in Change)
    assert not any(may(actor(Role.MONITOR, REGENCY), case, c) for c in Change)
    assert not any(may(actor(Role.OPERATOR, "ID"), case, c) for c in Change)


def test_officers_open_cases_inside_their_jurisdiction():
    assert may_open(actor(Role.VILLAGE_OFFICER, VILLAGE), VILLAGE)
    assert may_open(actor(Role.PROVINCE_OFFICER, PROVINCE), VILLAGE)
    assert not may_open(actor(Role.VILLAGE_OFFICER, OTHER_VILLAGE), VILLAGE)
    assert not may_open(actor(Role.CASE_WORKER, PROVINCE), VILLAGE)
