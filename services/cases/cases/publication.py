"""What leaves the service: each published case event as its contract payload.

Only codes, dates, levels and pseudonymous ids go out; notes, override reasons, the narrative,
the survivor's identity and a reporter's contact never do, and neither does the registry's id of
the worker a case is about (docs/domain.md, data protection).
The service's outbox writes :func:`payload` of every event whose ``published`` is true, with the
case's area and version (see :func:`outgoing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from services.cases.cases import events
from services.cases.cases.deadlines import Deadline
from shared.contract import events as contract


@dataclass(frozen=True)
class Outgoing:
    """One contract event to publish: its payload and its envelope's subject, area, sequence."""

    subject: str
    area: str
    sequence: int
    data: contract.EventData


def _facts(facts: events.CaseFacts) -> dict[str, Any]:
    """The facts as the contract names them: the area travels in the envelope, and of the
    worker only whether she is registered (version 2 of ``case-opened`` and ``case-verified``:
    the registry's worker id beside a GBV type would let a reader of the topic single her out
    by joining it to the worker's registry events)."""
    fields = asdict(facts)
    del fields["area"]
    fields["registered_worker"] = fields.pop("worker_id") is not None
    return fields


def _due(due: Deadline | None) -> dict[str, Any]:
    """``due_on`` and ``due_clock`` of an event that says where the case's deadline stands."""
    if due is None:
        return {"due_on": None, "due_clock": None}
    return {"due_on": due.due_on, "due_clock": due.clock}


def payload(event: events.CaseEvent) -> contract.EventData | None:
    """The contract payload of ``event``, or None for an internal one."""
    match event:
        case events.CaseOpened():
            return contract.CaseOpened(
                **_facts(event.facts),
                opened_on=event.opened_on,
                channel=event.channel,
                verified=event.verified,
                status=event.status,
                **_due(event.due),
            )
        case events.CaseVerified():
            return contract.CaseVerified(
                **_facts(event.facts),
                **_due(event.due),
            )
        case events.CaseAssigned():
            return contract.CaseAssigned(
                assignee_id=event.assignee_id,
                requested_sex_honoured=event.requested_sex_honoured,
            )
        case events.CaseEscalated():
            return contract.CaseEscalated(
                from_level=event.from_level, to_level=event.to_level, reason=event.reason
            )
        case events.CaseReferred():
            return contract.CaseReferred(
                to=event.to,
                consent=event.consent,
                consent_overridden=event.consent_overridden,
                file_shared=event.file_shared,
            )
        case events.ActionTaken():
            return contract.CaseActionTaken(
                action=event.action,
                taken_on=event.taken_on,
                status=event.status,
                **_due(event.due),
            )
        case events.CaseClosed():
            return contract.CaseClosed(
                reason=event.reason,
                merged_into=event.merged_into,
                closed_on=event.closed_on,
                due_on=None,
                due_clock=None,
            )
        case events.CaseReopened():
            return contract.CaseReopened(
                reason=event.reason,
                **_due(event.due),
            )
    if event.published:
        raise TypeError(f"{type(event).__name__} is published but has no contract payload")
    return None


def outgoing(
    recorded: Iterable[events.CaseEvent], version_before: int, area: str
) -> list[Outgoing]:
    """The contract events of ``recorded`` (one command's new events on one case), numbered on
    from ``version_before`` (the case's version when it was loaded), in the case's ``area``
    after the command (a triaged report may have been placed in its village)."""
    out: list[Outgoing] = []
    sequence = version_before
    for event in recorded:
        data = payload(event)
        if data is None:
            continue
        sequence += 1
        out.append(Outgoing(str(event.case_id), area, sequence, data))
    return out
