"""Case use cases: each runs in the caller's transaction, loads the case, checks who may do it,
runs the domain command, and writes the case, its events (outbox) and its audit rows together.

Every change locks the case's row (``FOR UPDATE``), so its version — the ``sequence`` of its
events on ``cases.case.v1`` — grows 1, 2, 3 … without gaps. A refused command raises before
anything is written (the domain checks everything first), and the transaction is rolled back
anyway: nothing of it remains. Intake is :mod:`.opening`, reads and break the glass
:mod:`.reading`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.cases.access import audit as audit_records
from services.cases.access.policy import (
    Change,
    Visibility,
    require_permission,
    visibility,
)
from services.cases.actors import Actor
from services.cases.case_workers import repository as directory
from services.cases.cases import events as happened
from services.cases.cases import repository
from services.cases.cases.deadlines import Clocks
from services.cases.cases.intake import Consent
from services.cases.cases.model import Case
from services.cases.cases.publication import outgoing
from services.cases.cases.schemas import (
    ActionIn,
    AssignmentIn,
    CaseState,
    CaseWorkerRequestIn,
    ClosureIn,
    ConsentChangeIn,
    EscalationIn,
    ReferralIn,
    ReopeningIn,
)
from services.cases.dates import not_in_future, today
from services.cases.errors import InvalidField, NotPermitted
from shared.auth import Principal
from shared.contract.envelope import Envelope
from shared.service import audit, events
from shared.service.context import current_correlation_id
from shared.service.errors import NotFound

OUTSIDE = "this case is outside your jurisdiction"


def common_fields(case: Case) -> dict[str, Any]:
    """What the state and the summary of a case share."""
    due = case.next_deadline
    return {
        "id": case.id,
        "status": case.status,
        "level": case.level,
        "verified": case.verified,
        "assigned": case.assignee is not None,
        "due_on": due.due_on if due else None,
        "due_clock": due.clock if due else None,
    }


def state(case: Case) -> CaseState:
    return CaseState(**common_fields(case), version=case.version)


def envelopes(
    recorded: Sequence[happened.CaseEvent],
    version_before: int,
    area: str,
    correlation_id: str | None,
    *,
    causation_id: str | None = None,
) -> list[Envelope]:
    """The contract events of what a command ``recorded`` (see publication.outgoing)."""
    return [
        events.build(
            subject=out.subject,
            sequence=out.sequence,
            area=out.area,
            data=out.data,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        for out in outgoing(recorded, version_before, area)
    ]


def audit_entry(
    principal: Principal, record: audit_records.AuditRecord, correlation_id: str | None
) -> audit.Entry:
    return audit.Entry(
        principal,
        f"case.{record.action.value}",
        {
            "case_id": record.case_id,
            "what": record.what,
            "grant_id": record.grant_id,
            "referral_id": record.referral_id,
        },
        correlation_id,
    )


# -- changes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    """Where a loaded case stood before a command: what to publish and store after it."""

    version: int
    events: int
    clocks: Clocks

    @classmethod
    def of(cls, case: Case) -> Mark:
        return cls(case.version, len(case.events), case.clocks)


async def locked(conn: asyncpg.Connection, case_id: uuid.UUID) -> Case:
    case = await repository.load(conn, case_id, lock=True)
    if case is None:
        raise NotFound("no such case")
    return case


def check(principal: Actor, case: Case, change: Change) -> None:
    """403 unless ``principal`` may make ``change``; a case they cannot even see is refused
    without saying where it is handled."""
    if visibility(principal, case, datetime.now(UTC)) is Visibility.NONE:
        raise NotPermitted(OUTSIDE)
    require_permission(principal, case, change)


async def store(
    conn: asyncpg.Connection,
    case: Case,
    mark: Mark,
    *,
    by: Principal | None,
    system: str | None = None,
    causation: Envelope | None = None,
) -> None:
    """Write what a command did to ``case``: the case, its events (outbox), its audit rows.
    ``by`` is the caller, or None for the service acting on an event (``system`` names it,
    ``causation`` is the event)."""
    recorded = case.events[mark.events :]
    if not recorded:
        return
    rows = await repository.save(
        conn, case, recorded, clocks_before=mark.clocks, by=by.sub if by else str(system)
    )
    correlation = causation.correlation_id if causation else current_correlation_id()
    cause = str(causation.id) if causation else None
    await events.append_built(
        conn, envelopes(recorded, mark.version, case.area, correlation, causation_id=cause)
    )
    now = datetime.now(UTC)
    if by is not None:
        await audit.record_many(
            conn,
            [
                audit_entry(by, r, correlation)
                for r in audit_records.changes(by, recorded, now, rows)
            ],
        )
    else:
        for event in recorded:
            await unattended(
                conn,
                actor=str(system),
                role="system",
                action="case.change",
                case_id=event.case_id,
                what=audit_records.event_name(event),
                alert_id=getattr(event, "alert_id", None),
                correlation_id=correlation,
            )


async def unattended(
    conn: asyncpg.Connection,
    *,
    actor: str,
    role: str,
    action: str,
    case_id: uuid.UUID,
    what: str,
    area: str = "ID",
    alert_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
) -> None:
    """An audit row for what no signed-in caller did: the service acting on an alert, or a
    report sent without an account (whose sender is never recorded)."""
    await conn.execute(
        "INSERT INTO audit_log (actor, role, actor_area, action, case_id, what, alert_id,"
        " correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        actor,
        role,
        area,
        action,
        case_id,
        what,
        alert_id,
        correlation_id,
    )


async def change(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: uuid.UUID,
    kind: Change,
    command: Callable[[Case], object],
) -> CaseState:
    """Load, check, run ``command`` on the case, store: the answer of every simple change."""
    case = await locked(conn, case_id)
    check(principal, case, kind)
    mark = Mark.of(case)
    command(case)
    await store(conn, case, mark, by=principal)
    return state(case)


async def escalate(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: EscalationIn
) -> CaseState:
    return await change(
        conn, principal, case_id, Change.ESCALATE, lambda c: c.escalate(body.reason, body.note)
    )


async def assign(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: AssignmentIn
) -> CaseState:
    case = await locked(conn, case_id)
    check(principal, case, Change.ASSIGN)
    worker = await directory.by_subject(conn, body.assignee)
    if worker is None:
        raise InvalidField("assignee", "no case worker with this subject is in the directory")
    available = [
        w for w in await directory.able_to_handle(conn, case.handling_area) if w.id != worker.id
    ]
    mark = Mark.of(case)
    case.assign(worker, available)
    await store(conn, case, mark, by=principal)
    return state(case)


async def refer(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ReferralIn
) -> CaseState:
    return await change(
        conn,
        principal,
        case_id,
        Change.REFER,
        lambda c: c.refer(body.to, by=principal, override_reason=body.override_reason),
    )


async def act(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ActionIn
) -> CaseState:
    taken_on = not_in_future("taken_on", body.taken_on or today())
    return await change(
        conn, principal, case_id, Change.ACT, lambda c: c.take_action(body.action, taken_on)
    )


async def close(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ClosureIn
) -> CaseState:
    """Close the case; a duplicate names the case it duplicates, which the caller must see (as
    for merging a report): a case they cannot see is answered as an unknown one, after the
    closed case itself was checked, so closing tells nobody which case ids exist elsewhere."""
    closed_on = not_in_future("closed_on", body.closed_on or today())
    case = await locked(conn, case_id)
    check(principal, case, Change.CLOSE)
    if body.merged_into is not None:
        target = await repository.load(conn, body.merged_into)
        if target is None or visibility(principal, target, datetime.now(UTC)) is Visibility.NONE:
            raise InvalidField("merged_into", "no such case in your jurisdiction")
    mark = Mark.of(case)
    case.close(body.reason, closed_on, body.note, merged_into=body.merged_into)
    await store(conn, case, mark, by=principal)
    return state(case)


async def reopen(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ReopeningIn
) -> CaseState:
    reopened_on = not_in_future("reopened_on", body.reopened_on or today())
    return await change(
        conn,
        principal,
        case_id,
        Change.REOPEN,
        lambda c: c.reopen(body.reason, reopened_on, body.note),
    )


async def record_consent(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ConsentChangeIn
) -> CaseState:
    consent = Consent(referral=body.referral, sharing=body.sharing)
    return await change(
        conn, principal, case_id, Change.RECORD_CONSENT, lambda c: c.record_consent(consent)
    )


async def request_case_worker(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: CaseWorkerRequestIn
) -> CaseState:
    return await change(
        conn,
        principal,
        case_id,
        Change.REQUEST_CASE_WORKER_SEX,
        lambda c: c.request_case_worker_sex(body.sex),
    )
