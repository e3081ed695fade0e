"""The case workflow (adapted from Primero, docs/domain.md):

    new → assessment → case plan → service provision → services implemented → closed
                                                                  ↑ reopened (→ assessment)

- The steps ``assessment``, ``case_plan`` and ``services_completed`` each move the case one
  status on, from exactly the status before it.
- A service (:data:`~shared.contract.codes.CASE_SERVICES`) may be recorded on any open case: a
  survivor's medical or psychosocial care cannot wait for a plan. From the case plan on (and
  again after services were implemented) it puts the case in service provision; before the plan
  the status stays.
- The deadline steps (documents completed, clarification requested …) leave the status alone.
- Any open case may be closed with a reason; ``resolved`` only once services are implemented.
- Only a closed case may be reopened; it goes back to assessment.

Every function returns the next status or raises :class:`TransitionNotAllowed`, which says what
the status is and what the step needs.
"""

from __future__ import annotations

from services.cases.errors import TransitionNotAllowed
from shared.contract.codes import CASE_SERVICES, CaseAction, CaseStatus, ClosureReason

NEW, ASSESSMENT, CASE_PLAN, SERVICE_PROVISION, SERVICES_IMPLEMENTED, CLOSED = CaseStatus

# step → (the status it needs, the status it leads to)
STEPS: dict[CaseAction, tuple[CaseStatus, CaseStatus]] = {
    CaseAction.ASSESSMENT: (NEW, ASSESSMENT),
    CaseAction.CASE_PLAN: (ASSESSMENT, CASE_PLAN),
    CaseAction.SERVICES_COMPLETED: (SERVICE_PROVISION, SERVICES_IMPLEMENTED),
}
DEADLINE_STEPS: frozenset[CaseAction] = frozenset(CaseAction) - CASE_SERVICES - set(STEPS)
_SERVICES_START = frozenset({CASE_PLAN, SERVICES_IMPLEMENTED})


def _refuse(doing: str, status: CaseStatus, needs: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(f"the case is {status.value}; {doing} needs {needs}")


def status_after(status: CaseStatus, action: CaseAction) -> CaseStatus:
    """The status after recording ``action`` on a case in ``status``."""
    if status is CLOSED:
        raise _refuse(f"recording {action.value}", status, "an open case (reopen it first)")
    if action in STEPS:
        needed, reached = STEPS[action]
        if status is not needed:
            raise _refuse(f"the step {action.value}", status, f"status {needed.value}")
        return reached
    if action in CASE_SERVICES and status in _SERVICES_START:
        return SERVICE_PROVISION
    return status


def check_closure(status: CaseStatus, reason: ClosureReason) -> None:
    """Raise unless a case in ``status`` may be closed for ``reason`` (clocks aside)."""
    if status is CLOSED:
        raise _refuse("a closure", status, "an open case")
    if reason is ClosureReason.RESOLVED and status is not SERVICES_IMPLEMENTED:
        raise _refuse("closing as resolved", status, "status services_implemented")


def status_after_reopening(status: CaseStatus) -> CaseStatus:
    if status is not CLOSED:
        raise _refuse("reopening", status, "a closed case")
    return ASSESSMENT
