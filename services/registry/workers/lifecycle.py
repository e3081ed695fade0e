"""The worker's lifecycle: registered → verified → departed → returned (→ departed again).

A non-procedural worker (reported abroad outside the official channel) may depart without a
verification. Each function returns the next status or raises :class:`IllegalTransition` with a
message that says what the worker's status is and what the step needs.
"""

from __future__ import annotations

from shared.contract.codes import WorkerStatus

R, V, D, RET = (
    WorkerStatus.REGISTERED,
    WorkerStatus.VERIFIED,
    WorkerStatus.DEPARTED,
    WorkerStatus.RETURNED,
)


class IllegalTransition(ValueError):
    """The step is not allowed from the worker's current status."""


def _refuse(step: str, status: WorkerStatus, *needed: WorkerStatus) -> IllegalTransition:
    wanted = " or ".join(s.value for s in needed)
    return IllegalTransition(f"worker is {status.value}; {step} needs status {wanted}")


def verify(status: WorkerStatus) -> WorkerStatus:
    if status is not R:
        raise _refuse("verification", status, R)
    return V


def depart(status: WorkerStatus, *, procedural: bool) -> WorkerStatus:
    allowed = (V, RET) if procedural else (R, V, RET)
    if status not in allowed:
        if status is R:
            raise IllegalTransition(
                "worker is registered but not verified; a procedural departure needs the "
                "regency's verification first"
            )
        raise _refuse("a departure", status, *allowed)
    return D


def return_home(status: WorkerStatus) -> WorkerStatus:
    if status is not D:
        raise _refuse("a return", status, D)
    return RET
