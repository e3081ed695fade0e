"""Assignment honours the survivor's requested sex of case worker; referral needs consent,
unless a supervisor overrides it with a reason (kept in the service, audited)."""

from __future__ import annotations

import copy

import pytest

from services.cases.cases import events
from services.cases.cases.assignment import suggest
from services.cases.cases.intake import Consent
from services.cases.errors import (
    AssignmentRefused,
    ConsentRequired,
    InvalidField,
    NotPermitted,
    RuleViolation,
    TransitionNotAllowed,
)
from shared.auth import Role
from shared.contract.codes import CaseCategory, ClosureReason, Sex
from tests.unit.cases.builders import (
    OPENED,
    OTHER_PROVINCE,
    PROVINCE,
    REGENCY,
    VILLAGE,
    actor,
    consent,
    open_case,
    worker,
)

SUPERVISOR = actor(Role.SUPERVISOR, REGENCY)
CASE_WORKER = actor(Role.CASE_WORKER, REGENCY)


# -- assignment ---------------------------------------------------------------------------------
def test_without_a_requested_sex_anyone_who_can_handle_the_case_is_assigned():
    case = open_case()
    male = worker(Sex.MALE)
    case.assign(male)
    assert case.assignee == male
    assigned = case.events[-1]
    assert isinstance(assigned, events.CaseAssigned)
    assert assigned.requested_sex_honoured is None


def test_the_requested_sex_is_honoured_when_available():
    case = open_case(requested_case_worker_sex=Sex.FEMALE)
    female, male = worker(Sex.FEMALE), worker(Sex.MALE)
    before = copy.deepcopy(vars(case))
    with pytest.raises(AssignmentRefused, match="female case worker and one is available"):
        case.assign(male, available=[male, female])
    assert vars(case) == before
    case.assign(female, available=[male, female])
    assert case.events[-1].requested_sex_honoured is True


def test_when_none_of_the_requested_sex_is_available_the_case_records_it():
    case = open_case(requested_case_worker_sex=Sex.FEMALE)
    elsewhere = worker(Sex.FEMALE, area=OTHER_PROVINCE)  # cannot take a case of NTT
    male = worker(Sex.MALE)
    case.assign(male, available=[male, elsewhere])
    assigned = case.events[-1]
    assert assigned.requested_sex is Sex.FEMALE and assigned.requested_sex_honoured is False


def test_a_case_worker_takes_only_cases_handled_within_their_area():
    trafficking = open_case(category=CaseCategory.TRAFFICKING)  # handled by the province
    with pytest.raises(AssignmentRefused, match="handling area 53"):
        trafficking.assign(worker(area=REGENCY))
    trafficking.assign(worker(area=PROVINCE))
    national = worker(area="ID")
    open_case().assign(national)


def test_assigning_the_same_worker_again_or_a_closed_case_is_refused():
    case = open_case()
    cw = worker()
    case.assign(cw)
    with pytest.raises(RuleViolation, match="already assigned"):
        case.assign(cw)
    case.assign(worker())  # reassignment to another case worker is fine
    case.close(ClosureReason.WITHDRAWN, OPENED)
    with pytest.raises(TransitionNotAllowed):
        case.assign(worker())


def test_the_survivor_may_ask_for_a_sex_of_case_worker_later():
    case = open_case()
    case.request_case_worker_sex(Sex.FEMALE)
    assert case.requested_case_worker_sex is Sex.FEMALE
    count = len(case.events)
    case.request_case_worker_sex(Sex.FEMALE)  # the same again changes nothing
    assert len(case.events) == count
    assert not case.events[-1].published


def test_suggest_prefers_the_requested_sex_then_the_lightest_load():
    busy_f, idle_f = worker(Sex.FEMALE, load=9), worker(Sex.FEMALE, load=2)
    idle_m = worker(Sex.MALE, load=0)
    far = worker(Sex.FEMALE, area=OTHER_PROVINCE, load=0)
    pool = [busy_f, idle_f, idle_m, far]
    assert suggest(pool, Sex.FEMALE, REGENCY) == idle_f
    assert suggest(pool, None, REGENCY) == idle_m
    assert suggest([idle_m], Sex.FEMALE, REGENCY) == idle_m
    assert suggest([far], None, REGENCY) is None


# -- referral and consent -----------------------------------------------------------------------
def test_referral_with_consent():
    case = open_case(consent=consent(referral=True, sharing=True))
    referral = case.refer("uptd_ppa.53", by=CASE_WORKER)
    assert referral.consent and not referral.consent_overridden and referral.file_shared
    referred = case.events[-1]
    assert isinstance(referred, events.CaseReferred) and referred.override_reason is None


def test_the_file_goes_along_only_with_consent_to_sharing():
    case = open_case(consent=consent(referral=True, sharing=False))
    assert not case.refer("lbh-kupang", by=CASE_WORKER).file_shared


def test_referral_without_consent_is_refused_and_changes_nothing():
    case = open_case()
    before = copy.deepcopy(vars(case))
    with pytest.raises(ConsentRequired, match="only a supervisor"):
        case.refer("police", by=CASE_WORKER)
    with pytest.raises(ConsentRequired):
        case.refer("police", by=SUPERVISOR, override_reason="   ")
    assert vars(case) == before


def test_only_a_supervisor_overrides_and_the_reason_is_kept_for_the_audit():
    case = open_case(category=CaseCategory.TRAFFICKING)
    before = copy.deepcopy(vars(case))
    reason = "Her life is at risk and she cannot be asked now."
    with pytest.raises(NotPermitted, match="only a supervisor"):
        case.refer("police", by=CASE_WORKER, override_reason=reason)
    with pytest.raises(InvalidField) as short:
        case.refer("police", by=SUPERVISOR, override_reason="urgent")
    assert short.value.field == "override_reason"
    assert vars(case) == before
    referral = case.refer("police", by=SUPERVISOR, override_reason=reason)
    assert referral.consent_overridden and not referral.consent
    assert referral.override_reason == reason and referral.overridden_by == SUPERVISOR.sub
    assert case.events[-1].override_reason == reason


@pytest.mark.parametrize("to", ["", "LBH Kupang", "police\n", "a" * 65, "x;drop", "-ngo"])
def test_a_referral_names_an_organisation_code_not_free_text(to):
    case = open_case(consent=consent())
    with pytest.raises(InvalidField) as refused:
        case.refer(to, by=CASE_WORKER)
    assert refused.value.field == "to"


def test_consent_is_recorded_and_then_allows_referral():
    case = open_case()
    case.record_consent(Consent(referral=True, sharing=True))
    recorded = case.events[-1]
    assert isinstance(recorded, events.ConsentRecorded) and not recorded.published
    count = len(case.events)
    case.record_consent(Consent(referral=True, sharing=True))
    assert len(case.events) == count
    assert case.refer("shelter.kupang", by=CASE_WORKER).consent


def test_no_referral_of_a_closed_case():
    case = open_case(consent=consent())
    case.close(ClosureReason.WITHDRAWN, OPENED)
    with pytest.raises(TransitionNotAllowed):
        case.refer("police", by=CASE_WORKER)


def test_village_case_is_handled_in_the_village():
    assert open_case().handling_area == VILLAGE
