"""The zero-cost rule judges a fee by the worker's occupation on the day it was charged."""

from datetime import date

import pytest

from services.registry.fees.legality import explain, fee_legality
from services.registry.fees.occupation import Basis, Placement, occupation_on
from shared.contract.codes import FeeComponent, Legality, Occupation
from shared.contract.events import FeeCharged

HOUSEKEEPER, FACTORY = Occupation.HOUSEKEEPER, Occupation.FACTORY_WORKER
FACTORY_2024 = Placement(FACTORY, date(2024, 2, 1), None)


def test_a_fee_charged_to_an_applicant_is_judged_by_the_job_applied_for():
    # The case reported: a housekeeper applicant's passport fee charged on 20 January 2024,
    # recorded after she was placed as a factory worker on 1 February 2024.
    on = occupation_on(date(2024, 1, 20), [FACTORY_2024], HOUSEKEEPER)
    assert on == (HOUSEKEEPER, Basis.APPLIED_FOR)
    assert fee_legality(FeeComponent.PASSPORT, date(2024, 1, 20), on.occupation) is (
        Legality.ILLEGAL
    )


def test_a_fee_charged_during_a_placement_is_judged_by_that_placement():
    on = occupation_on(date(2024, 3, 1), [FACTORY_2024], HOUSEKEEPER)
    assert on == (FACTORY, Basis.PLACEMENT)
    assert fee_legality(FeeComponent.PASSPORT, date(2024, 3, 1), on.occupation) is (
        Legality.WARNING
    )


def test_departure_and_return_days_belong_to_the_placement():
    placement = Placement(FACTORY, date(2024, 2, 1), date(2026, 2, 1))
    assert occupation_on(date(2024, 2, 1), [placement], HOUSEKEEPER).basis is Basis.PLACEMENT
    assert occupation_on(date(2026, 2, 1), [placement], HOUSEKEEPER).basis is Basis.PLACEMENT
    assert occupation_on(date(2024, 1, 31), [placement], HOUSEKEEPER).basis is Basis.APPLIED_FOR


def test_a_placement_starting_on_a_return_day_is_the_one_in_force():
    first = Placement(HOUSEKEEPER, date(2022, 1, 10), date(2024, 1, 10))
    second = Placement(FACTORY, date(2024, 1, 10), None)
    assert occupation_on(date(2024, 1, 10), [second, first], None) == (FACTORY, Basis.PLACEMENT)


def test_between_placements_the_fee_prepared_the_next_one():
    first = Placement(FACTORY, date(2021, 1, 10), date(2023, 1, 10))
    second = Placement(HOUSEKEEPER, date(2023, 9, 1), None)
    # Charged in May 2023 while home: for the housekeeper placement of September, not for the
    # factory job applied for in 2020.
    on = occupation_on(date(2023, 5, 2), [first, second], FACTORY)
    assert on == (HOUSEKEEPER, Basis.NEXT_PLACEMENT)


def test_after_the_last_return_the_fee_belongs_to_the_placement_that_ended():
    ended = Placement(HOUSEKEEPER, date(2021, 1, 10), date(2023, 1, 10))
    on = occupation_on(date(2023, 2, 1), [ended], Occupation.COOK)
    assert on == (HOUSEKEEPER, Basis.LAST_PLACEMENT)


def test_before_any_placement_without_a_job_applied_for_the_first_placement_decides():
    on = occupation_on(date(2024, 1, 20), [FACTORY_2024], None)
    assert on == (FACTORY, Basis.NEXT_PLACEMENT)


def test_nothing_known_is_unknown():
    assert occupation_on(date(2024, 1, 20), [], None) == (None, Basis.UNKNOWN)
    assert fee_legality(FeeComponent.PASSPORT, date(2024, 1, 20), None) is Legality.WARNING


@pytest.mark.parametrize(
    ("occupation", "legality"),
    [
        (Occupation.CAREGIVER, Legality.ILLEGAL),  # a household caregiver: the rule applies
        (Occupation.INSTITUTIONAL_CAREGIVER, Legality.WARNING),  # a nursing home: not listed
        (Occupation.ELDERLY_CARER, Legality.ILLEGAL),
    ],
)
def test_a_household_caregiver_does_not_escape_the_rule(occupation, legality):
    assert fee_legality(FeeComponent.JOB_TRAINING, date(2024, 5, 1), occupation) is legality


def test_the_answer_says_where_the_occupation_came_from():
    reason = explain(FeeComponent.PASSPORT, date(2024, 1, 20), HOUSEKEEPER, Basis.APPLIED_FOR)
    assert "housekeeper (the job applied for, before any placement)" in reason
    reason = explain(FeeComponent.PASSPORT, date(2024, 3, 1), FACTORY, Basis.PLACEMENT)
    assert "factory_worker (the placement in force on the day charged)" in reason
    assert "ILO" in reason


def test_old_fee_events_naming_a_caregiver_stay_readable():
    data = FeeCharged.model_validate(
        {
            "fee_id": "7d1f0c3a-4e8b-4b7e-9f63-0a2d5c8e9b14",
            "component": "passport",
            "amount": "1500000",
            "currency": "IDR",
            "charged_on": "2023-03-01",
            "agency_id": None,
            "occupation": "caregiver",
            "legality": "warning",
        }
    )
    assert data.occupation is Occupation.CAREGIVER and data.legality is Legality.WARNING
