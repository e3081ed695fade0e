"""Who may take a case, honouring the survivor's requested sex of case worker.

Gender-responsive practice (GBV guidelines, docs/domain.md): a survivor can ask for a case worker
of a given sex. The request is honoured whenever a case worker of that sex is available for the
case's handling area; only when none is may another be assigned, and the case records that the
request could not be honoured.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from services.cases.errors import AssignmentRefused
from shared.areas import is_within
from shared.contract.codes import Sex


@dataclass(frozen=True)
class CaseWorker:
    """A case worker as the assignment sees them (the service builds it from its directory)."""

    id: uuid.UUID  # pseudonymous: what events carry
    subject: str  # the token subject: who may read the case file once assigned
    sex: Sex
    area: str  # jurisdiction
    open_cases: int = 0  # current load, for suggestions


def can_handle(worker: CaseWorker, handling_area: str) -> bool:
    """A case worker handles cases whose handling area lies within their own area."""
    return is_within(handling_area, worker.area)


def requested_sex_honoured(
    worker: CaseWorker,
    requested: Sex | None,
    available: Iterable[CaseWorker],
    handling_area: str,
) -> bool | None:
    """Check an assignment: None when no sex was requested, True when honoured, False when no
    case worker of the requested sex is available; raise :class:`AssignmentRefused` when the
    worker may not take the case or one of the requested sex could."""
    if not can_handle(worker, handling_area):
        raise AssignmentRefused(
            f"the case worker's area does not contain the case's handling area {handling_area}"
        )
    if requested is None:
        return None
    if worker.sex is requested:
        return True
    if any(w.sex is requested and can_handle(w, handling_area) for w in available):
        raise AssignmentRefused(
            f"the survivor asked for a {requested.value} case worker and one is available "
            "for this case: assign her or him"
        )
    return False


def suggest(
    candidates: Iterable[CaseWorker], requested: Sex | None, handling_area: str
) -> CaseWorker | None:
    """The least-loaded case worker who can take the case, of the requested sex if any is."""
    eligible = [w for w in candidates if can_handle(w, handling_area)]
    preferred = [w for w in eligible if w.sex is requested] if requested else []
    pool = preferred or eligible
    return min(pool, key=lambda w: (w.open_cases, w.subject), default=None)
