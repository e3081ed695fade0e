"""The zero-cost rule: listed component x on/after 2021-07-15 x listed occupation = illegal."""

from datetime import date, timedelta

import pytest

from services.registry.fees.legality import ZERO_COST_EFFECTIVE, explain, fee_legality
from shared.contract.codes import (
    REGULATION_OCCUPATIONS,
    ZERO_COST_COMPONENTS,
    ZERO_COST_OCCUPATIONS,
    FeeComponent,
    Legality,
    Occupation,
)

AFTER = date(2024, 3, 1)


def test_the_lists_are_the_regulation_s():
    assert len(ZERO_COST_COMPONENTS) == 14 and FeeComponent.OTHER not in ZERO_COST_COMPONENTS
    assert len(REGULATION_OCCUPATIONS) == 10
    assert REGULATION_OCCUPATIONS | {Occupation.CAREGIVER} == ZERO_COST_OCCUPATIONS
    assert Occupation.FACTORY_WORKER not in ZERO_COST_OCCUPATIONS


@pytest.mark.parametrize("component", sorted(ZERO_COST_COMPONENTS))
@pytest.mark.parametrize("occupation", sorted(ZERO_COST_OCCUPATIONS))
def test_every_listed_component_for_every_listed_occupation_is_illegal(component, occupation):
    assert fee_legality(component, AFTER, occupation) is Legality.ILLEGAL


def test_the_effective_date_is_the_boundary():
    assert date(2021, 7, 15) == ZERO_COST_EFFECTIVE
    args = (FeeComponent.PASSPORT, Occupation.HOUSEKEEPER)
    assert fee_legality(args[0], date(2021, 7, 15), args[1]) is Legality.ILLEGAL
    assert fee_legality(args[0], date(2021, 7, 14), args[1]) is Legality.WARNING
    assert fee_legality(args[0], date(2021, 7, 16), args[1]) is Legality.ILLEGAL
    assert fee_legality(args[0], ZERO_COST_EFFECTIVE - timedelta(days=3650), args[1]) is (
        Legality.WARNING
    )


def test_other_component_is_a_warning_even_for_a_listed_occupation():
    assert fee_legality(FeeComponent.OTHER, AFTER, Occupation.HOUSEKEEPER) is Legality.WARNING


@pytest.mark.parametrize("occupation", [o for o in Occupation if o not in ZERO_COST_OCCUPATIONS])
def test_unlisted_occupations_are_warnings(occupation):
    assert fee_legality(FeeComponent.AGENCY_SERVICE_FEE, AFTER, occupation) is Legality.WARNING


def test_unknown_occupation_is_a_warning():
    assert fee_legality(FeeComponent.AGENCY_SERVICE_FEE, AFTER, None) is Legality.WARNING


def test_explanations_say_why():
    assert "Regulation BP2MI 9/2020" in explain(
        FeeComponent.WORK_VISA, AFTER, Occupation.FISHING_CREW
    )
    assert "before 2021-07-15" in explain(
        FeeComponent.WORK_VISA, date(2020, 1, 1), Occupation.FISHING_CREW
    )
    assert "not known" in explain(FeeComponent.WORK_VISA, AFTER, None)
    assert "not one of the fourteen" in explain(FeeComponent.OTHER, AFTER, Occupation.COOK)
    assert "ILO" in explain(FeeComponent.WORK_VISA, AFTER, Occupation.NURSE)
