"""The zero-cost rule: Law 18/2017 art. 30, Regulation BP2MI 9/2020 art. 3 (full effect 2021-07-15).

A fee is **illegal** when all three hold:
- its component is one of the fourteen of art. 3(2) (ticket, visa, training, passport, …),
- it was charged on or after 15 July 2021,
- the worker's occupation on the day it was charged (``fees/occupation.py``) is one of the ten of
  art. 3(3) (housekeeper, carers, cook, …), or a household ``caregiver``, who does the work of
  the regulation's baby, child and elderly carers under another name.

Every other fee is a **warning**: the ILO General Principles for Fair Recruitment hold that no
recruitment fee or related cost should be borne by any worker, but the Indonesian rule does not
(provably) forbid it — an ``other`` component, a fee charged before the regulation took effect,
or a worker whose occupation is outside the list or not known.
"""

from __future__ import annotations

from datetime import date

from services.registry.fees.occupation import Basis
from shared.contract.codes import (
    ZERO_COST_COMPONENTS,
    ZERO_COST_OCCUPATIONS,
    FeeComponent,
    Legality,
    Occupation,
)

ZERO_COST_EFFECTIVE = date(2021, 7, 15)


def fee_legality(
    component: FeeComponent, charged_on: date, occupation: Occupation | None
) -> Legality:
    if (
        component in ZERO_COST_COMPONENTS
        and charged_on >= ZERO_COST_EFFECTIVE
        and occupation is not None
        and occupation in ZERO_COST_OCCUPATIONS
    ):
        return Legality.ILLEGAL
    return Legality.WARNING


def explain(
    component: FeeComponent,
    charged_on: date,
    occupation: Occupation | None,
    basis: Basis | None = None,
) -> str:
    """Why the rule decided as it did (for the response; no personal data)."""
    source = f" ({basis.phrase})" if basis is not None and occupation is not None else ""
    if fee_legality(component, charged_on, occupation) is Legality.ILLEGAL:
        return (
            f"{component.value} may not be charged to a {occupation}{source} on or after "
            f"{ZERO_COST_EFFECTIVE.isoformat()} (Regulation BP2MI 9/2020 art. 3)"
        )
    if component not in ZERO_COST_COMPONENTS:
        reason = "the component is not one of the fourteen listed"
    elif charged_on < ZERO_COST_EFFECTIVE:
        reason = f"charged before {ZERO_COST_EFFECTIVE.isoformat()}"
    elif occupation is None:
        reason = "the worker's occupation on the day charged is not known"
    else:
        reason = f"{occupation.value}{source} is not one of the listed occupations"
    return f"not illegal under Regulation BP2MI 9/2020 ({reason}), but against ILO fair recruitment"
