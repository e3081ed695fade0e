"""Levels: where a case starts, and escalation exactly one level up with a reason code."""

from __future__ import annotations

import copy
from itertools import pairwise

import pytest

from services.cases.cases import events
from services.cases.cases.levels import handling_area, minimum_level, next_level, starting_level
from services.cases.errors import InvalidField, TransitionNotAllowed
from shared.contract.codes import CaseCategory, ClosureReason, EscalationReason, GbvType, Level
from tests.unit.cases.builders import OPENED, PROVINCE, REGENCY, VILLAGE, open_case, worker

R = EscalationReason


@pytest.mark.parametrize(
    ("category", "gbv_type", "level"),
    [
        (CaseCategory.UNPAID_WAGES, None, Level.VILLAGE),
        (CaseCategory.EMPLOYER_VIOLENCE, None, Level.VILLAGE),
        (CaseCategory.TRAFFICKING, None, Level.PROVINCE),
        (CaseCategory.SEXUAL_HARASSMENT, None, Level.PROVINCE),
        (CaseCategory.EMPLOYER_VIOLENCE, GbvType.PHYSICAL_ASSAULT, Level.PROVINCE),
        (CaseCategory.UNPAID_WAGES, GbvType.DENIAL_OF_RESOURCES, Level.PROVINCE),
    ],
)
def test_trafficking_sexual_violence_and_any_gbv_type_start_at_province(category, gbv_type, level):
    assert minimum_level(category, gbv_type) is level
    case = open_case(category=category, gbv_type=gbv_type)
    assert case.level is level
    assert case.events[0].facts.level is level


def test_a_case_starts_at_the_opening_office_when_that_is_higher():
    assert open_case(office_level=Level.REGENCY).level is Level.REGENCY
    assert open_case(office_level=Level.NATIONAL).level is Level.NATIONAL
    # a national office opening a trafficking case keeps it national
    assert starting_level(Level.NATIONAL, VILLAGE, CaseCategory.TRAFFICKING, None) is Level.NATIONAL
    # a report that named only a regency starts there
    assert starting_level(Level.VILLAGE, REGENCY, CaseCategory.SICK, None) is Level.REGENCY


def test_handling_area_is_the_office_of_the_level_above_the_village():
    assert handling_area(VILLAGE, Level.VILLAGE) == VILLAGE
    assert handling_area(VILLAGE, Level.REGENCY) == REGENCY
    assert handling_area(VILLAGE, Level.PROVINCE) == PROVINCE
    assert handling_area(VILLAGE, Level.NATIONAL) == "ID"
    assert open_case(category=CaseCategory.TRAFFICKING).handling_area == PROVINCE


def test_escalation_goes_exactly_one_level_up_to_national_and_no_further():
    case = open_case()
    chain = [case.level]
    for reason in (R.BEYOND_LEVEL_AUTHORITY, R.OTHER_JURISDICTION, R.NEEDS_ACTION_ABROAD):
        case.escalate(reason)
        chain.append(case.level)
    assert chain == [Level.VILLAGE, Level.REGENCY, Level.PROVINCE, Level.NATIONAL]
    assert next_level(Level.NATIONAL) is None
    before = copy.deepcopy(vars(case))
    with pytest.raises(TransitionNotAllowed, match="national"):
        case.escalate(R.NO_PROGRESS)
    assert vars(case) == before
    escalations = [e for e in case.events if isinstance(e, events.CaseEscalated)]
    assert [(e.from_level, e.to_level) for e in escalations] == list(pairwise(chain))


def test_the_escalation_note_stays_on_the_event_inside_the_service_and_is_bounded():
    case = open_case()
    case.escalate(R.OTHER, "  The agency is seated in Surabaya.  ")
    assert case.events[-1].reason is R.OTHER
    assert case.events[-1].note == "The agency is seated in Surabaya."
    with pytest.raises(InvalidField) as refused:
        case.escalate(R.OTHER, "x" * 1001)
    assert refused.value.field == "note"
    assert case.level is Level.REGENCY


def test_a_closed_case_is_not_escalated():
    case = open_case()
    case.close(ClosureReason.WITHDRAWN, OPENED)
    with pytest.raises(TransitionNotAllowed, match="closed"):
        case.escalate(R.NO_PROGRESS)


def test_an_assignee_outside_the_new_handling_area_no_longer_holds_the_case():
    village_worker = worker(area=VILLAGE)
    case = open_case()
    case.assign(village_worker)
    case.escalate(R.BEYOND_LEVEL_AUTHORITY)
    assert case.assignee is None
    lapsed = case.events[-1]
    assert isinstance(lapsed, events.AssignmentLapsed) and not lapsed.published
    assert lapsed.assignee_id == village_worker.id

    province_worker = worker(area=PROVINCE)
    kept = open_case()
    kept.assign(province_worker)
    kept.escalate(R.BEYOND_LEVEL_AUTHORITY)
    kept.escalate(R.BEYOND_LEVEL_AUTHORITY)
    assert kept.assignee == province_worker
    kept.escalate(R.NEEDS_ACTION_ABROAD)  # national: a province worker does not hold it
    assert kept.assignee is None
