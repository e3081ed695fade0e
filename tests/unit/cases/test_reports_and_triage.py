"""Reports by workers and families: a receipt, an unverified case, and the officer's triage."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import date, timedelta

import pytest

from services.cases.cases import events
from services.cases.cases.escalation import OverdueAlert, handle_overdue_alert
from services.cases.cases.intake import Confirmation
from services.cases.errors import InvalidField, RuleViolation, TransitionNotAllowed
from services.cases.reports import triage
from services.cases.reports.model import (
    PublicStatus,
    RejectionReason,
    Submission,
    public_status,
    submit,
)
from services.cases.reports.receipts import ALPHABET, digest, new_receipt, normalise
from shared.auth import Role
from shared.contract.codes import (
    CaseAction,
    CaseCategory,
    ClosureReason,
    DueClock,
    EscalationReason,
    GbvType,
    IntakeChannel,
    Level,
    ReopeningReason,
    Sex,
)
from tests.unit.cases.builders import (
    OPENED,
    REGENCY,
    VILLAGE,
    actor,
    open_case,
    through_services,
    worker,
)

CONTACT = "+62 812 3456 7890 (her sister Maria)"
ACCOUNT = "My daughter in Malaysia says the agency keeps her passport and she is not paid."


def submitted(area=VILLAGE, **changes):
    fields = dict(
        area=area,
        category=CaseCategory.UNPAID_WAGES,
        sex=Sex.FEMALE,
        account=ACCOUNT,
        contact=CONTACT,
    )
    fields.update(changes)
    return submit(Submission(**fields), uuid.uuid4(), OPENED)


# -- receipts -----------------------------------------------------------------------------------
def test_receipts_are_random_and_readable_back_forgivingly():
    receipts = {new_receipt() for _ in range(500)}
    assert len(receipts) == 500
    for receipt in list(receipts)[:20]:
        assert re.fullmatch(rf"([{ALPHABET}]{{4}}-){{3}}[{ALPHABET}]{{4}}", receipt)
        assert normalise(receipt.lower().replace("-", " ")) == receipt
    assert normalise("oi1l-0000-0000-0000") == "0111-0000-0000-0000"
    for bad in ("", "1234", "1234-5678-9ABC-DEFU", "x" * 1000):
        assert normalise(bad) is None


def test_the_service_keeps_only_the_digest_of_a_receipt():
    outcome = submitted()
    assert outcome.report.receipt_digest == digest(outcome.receipt)
    assert outcome.receipt not in repr(outcome.report)
    assert digest(outcome.receipt.lower()) == outcome.report.receipt_digest
    with pytest.raises(ValueError):
        digest("not a receipt")


def test_a_receipt_is_not_derived_from_what_was_reported():
    first, second = submitted(), submitted()
    assert first.receipt != second.receipt
    for text in (CONTACT, ACCOUNT, VILLAGE):
        assert text not in first.receipt


# -- submission ---------------------------------------------------------------------------------
def test_a_report_becomes_an_unverified_case_and_the_contact_stays_with_the_report():
    outcome = submitted()
    case, report = outcome.case, outcome.report
    assert not case.verified and case.channel is IntakeChannel.PUBLIC_REPORT
    assert case.narrative == ACCOUNT and case.worker_id is None and not case.procedural
    assert report.contact == CONTACT and report.case_id == case.id
    opened = case.events[0]
    assert isinstance(opened, events.CaseOpened) and opened.verified is False
    assert opened.due.clock is DueClock.DOCUMENTS_INCOMPLETE
    assert CONTACT not in repr(case)
    assert public_status(case) is PublicStatus.RECEIVED


def test_a_report_may_name_only_a_regency_and_then_starts_there():
    case = submitted(area=REGENCY).case
    assert case.area == REGENCY and case.level is Level.REGENCY and case.handling_area == REGENCY


def test_a_gbv_report_starts_at_province():
    assert submitted(gbv_type=GbvType.RAPE).case.level is Level.PROVINCE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area": "53"}, "area"),
        ({"area": "53.71.01"}, "area"),
        ({"area": "not an area"}, "area"),
        ({"area": VILLAGE + "\n"}, "area"),
        ({"account": "   "}, "account"),
        ({"account": "x" * 10_001}, "account"),
        ({"account": "help\x00"}, "account"),
        ({"contact": "x" * 201}, "contact"),
    ],
)
def test_a_bad_submission_names_the_field_and_never_echoes_it(changes, field):
    with pytest.raises(InvalidField) as refused:
        submitted(**changes)
    assert refused.value.field == field
    for value in changes.values():
        if len(value.strip()) > 3:
            assert value.strip() not in refused.value.message


def test_a_blank_contact_is_no_contact():
    assert submitted(contact="   ").report.contact is None


# -- triage -------------------------------------------------------------------------------------
def test_confirming_a_report_with_the_facts_found():
    outcome = submitted(area=REGENCY)
    case = outcome.case
    worker_id, agency_id = uuid.uuid4(), uuid.uuid4()
    facts = Confirmation(
        category=CaseCategory.DEBT_BONDAGE,
        gbv_type=None,
        sex=Sex.FEMALE,
        procedural=True,
        worker_id=worker_id,
        agency_id=agency_id,
        village=VILLAGE,
    )
    triage.confirm(case, facts)
    assert case.verified and case.area == VILLAGE
    assert (case.worker_id, case.agency_id, case.category) == (worker_id, agency_id, facts.category)
    assert case.level is Level.REGENCY  # confirming never lowers the level
    verified = case.events[-1]
    assert isinstance(verified, events.CaseVerified) and verified.facts.area == VILLAGE
    assert public_status(case) is PublicStatus.BEING_HANDLED
    with pytest.raises(RuleViolation, match="not an untriaged report"):
        triage.confirm(case, facts)


def test_confirming_as_trafficking_raises_the_level_to_province():
    case = submitted().case
    triage.confirm(
        case, Confirmation(category=CaseCategory.TRAFFICKING, gbv_type=None, sex=Sex.FEMALE)
    )
    assert case.level is Level.PROVINCE and case.events[-1].facts.level is Level.PROVINCE


def test_a_village_assignee_no_longer_holds_a_report_confirmed_as_gbv():
    case = submitted().case
    case.assign(worker(area=VILLAGE))
    triage.confirm(
        case, Confirmation(category=CaseCategory.SICK, gbv_type=GbvType.RAPE, sex=Sex.FEMALE)
    )
    assert case.level is Level.PROVINCE and case.assignee is None
    assert isinstance(case.events[-1], events.AssignmentLapsed)


def test_the_village_confirmed_lies_within_the_area_reported():
    case = submitted(area=REGENCY).case
    before = copy.deepcopy(vars(case))
    with pytest.raises(InvalidField) as refused:
        triage.confirm(
            case,
            Confirmation(
                category=CaseCategory.SICK, gbv_type=None, sex=Sex.MALE, village="52.01.01.2001"
            ),
        )
    assert refused.value.field == "village"
    assert vars(case) == before


def test_merging_a_report_into_an_open_case():
    outcome, existing = submitted(), open_case()
    case = outcome.case
    triage.merge(case, existing, OPENED + timedelta(days=1), "Same worker, same agency.")
    assert (
        case.closure.reason is ClosureReason.DUPLICATE and case.closure.merged_into == existing.id
    )
    assert existing.merged_reports == [case.id]
    assert public_status(case, merged_into=existing) is PublicStatus.BEING_HANDLED
    through_services(existing)
    existing.close(ClosureReason.RESOLVED, OPENED + timedelta(days=9))
    assert public_status(case, merged_into=existing) is PublicStatus.CLOSED
    with pytest.raises(ValueError):
        public_status(case)


def test_a_report_is_merged_only_into_another_open_case():
    case, closed = submitted().case, open_case()
    closed.close(ClosureReason.WITHDRAWN, OPENED)
    before = (copy.deepcopy(vars(case)), copy.deepcopy(vars(closed)))
    with pytest.raises(TransitionNotAllowed, match="open case only"):
        triage.merge(case, closed, OPENED)
    with pytest.raises(InvalidField):
        triage.merge(case, case, OPENED)
    with pytest.raises(InvalidField) as long:
        triage.merge(case, open_case(), OPENED, "x" * 1001)
    assert long.value.field == "note"
    assert (vars(case), vars(closed)) == before


def test_rejecting_a_report_keeps_the_reason_in_the_service():
    outcome = submitted()
    case, report = outcome.case, outcome.report
    triage.reject(case, report, RejectionReason.FALSE_REPORT, OPENED, "Nobody of that name.")
    assert case.closure.reason is ClosureReason.REPORT_REJECTED
    assert report.rejection is RejectionReason.FALSE_REPORT
    assert public_status(case) is PublicStatus.NOT_TAKEN_UP
    with pytest.raises(TransitionNotAllowed, match="reopen it to triage it again"):
        triage.reject(case, report, RejectionReason.ABUSIVE, OPENED)
    # reviewed and reopened, it waits for triage again
    case.reopen(ReopeningReason.CLOSED_IN_ERROR, OPENED + timedelta(days=2))
    assert public_status(case) is PublicStatus.RECEIVED


def test_an_untriaged_report_takes_no_action_or_referral_but_travels_up():
    case = submitted().case
    before = copy.deepcopy(vars(case))
    with pytest.raises(TransitionNotAllowed, match="not triaged yet"):
        case.take_action(CaseAction.MEDICAL, OPENED)
    with pytest.raises(TransitionNotAllowed, match="not triaged yet"):
        case.close(ClosureReason.COMPLAINANT_UNREACHABLE, OPENED)
    with pytest.raises(TransitionNotAllowed, match="not triaged yet"):
        case.refer("police", by=actor(Role.SUPERVISOR, REGENCY), override_reason="x" * 20)
    assert vars(case) == before
    # nobody triaged it for 30 days: the alert moves it up
    alert = OverdueAlert(
        uuid.uuid4(), "case_overdue", str(case.id), Level.VILLAGE, date(2026, 4, 1)
    )
    assert handle_overdue_alert(case, alert).escalates
    assert case.level is Level.REGENCY and case.events[-1].reason is EscalationReason.CASE_OVERDUE
