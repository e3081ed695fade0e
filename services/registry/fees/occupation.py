"""The occupation the zero-cost rule judges a fee by: the worker's on the day it was charged.

Fees are often reported long after they were charged, by which time the worker may have been
placed in another job. The rule looks at the day of the charge, not at the day it is recorded:

1. the placement in force that day (departed on or before it, not yet returned: the return day
   still belongs to the placement; when a new placement starts on the day of a return, the new
   one), else
2. before the first placement, the job applied for at registration (the worker was an applicant
   for it when charged), else — that not known — the first placement, which the fee prepared;
3. between placements or after the last return, the next placement (the fee prepared it), else
   the one that had ended last (a cost of it charged on the way home or afterwards); the job
   applied for at registration is not used here: it was the first placement's application;
4. else no occupation is known and the fee can only be a warning.

The answer is fixed when the fee is recorded: a placement recorded later does not re-judge it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from shared.contract.codes import Occupation


@dataclass(frozen=True)
class Placement:
    occupation: Occupation
    departed_on: date
    returned_on: date | None


class Basis(StrEnum):
    """Where the occupation came from (said in the fee's answer)."""

    PLACEMENT = "placement"  # the placement in force on the day charged
    APPLIED_FOR = "applied_for"  # the job applied for, before any placement
    NEXT_PLACEMENT = "next_placement"  # the placement the fee preceded
    LAST_PLACEMENT = "last_placement"  # the placement that had ended before the fee
    UNKNOWN = "unknown"

    @property
    def phrase(self) -> str:
        return _PHRASES[self]


_PHRASES = {
    Basis.PLACEMENT: "the placement in force on the day charged",
    Basis.APPLIED_FOR: "the job applied for, before any placement",
    Basis.NEXT_PLACEMENT: "the placement that followed the charge",
    Basis.LAST_PLACEMENT: "the placement that had ended before the charge",
    Basis.UNKNOWN: "not known",
}


class OccupationOnDay(NamedTuple):
    occupation: Occupation | None
    basis: Basis


def occupation_on(
    day: date, placements: Iterable[Placement], applied_for: Occupation | None
) -> OccupationOnDay:
    """The worker's occupation on ``day`` (see the module docstring for the rule)."""
    placements = sorted(placements, key=lambda p: p.departed_on)
    in_force = [
        p
        for p in placements
        if p.departed_on <= day and (p.returned_on is None or day <= p.returned_on)
    ]
    if in_force:
        return OccupationOnDay(in_force[-1].occupation, Basis.PLACEMENT)
    later = [p for p in placements if p.departed_on > day]
    earlier = [p for p in placements if p.departed_on < day]
    if not earlier:
        if applied_for is not None:
            return OccupationOnDay(applied_for, Basis.APPLIED_FOR)
        if later:
            return OccupationOnDay(later[0].occupation, Basis.NEXT_PLACEMENT)
        return OccupationOnDay(None, Basis.UNKNOWN)
    if later:
        return OccupationOnDay(later[0].occupation, Basis.NEXT_PLACEMENT)
    return OccupationOnDay(earlier[-1].occupation, Basis.LAST_PLACEMENT)
