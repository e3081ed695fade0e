"""Case use cases: each runs in the caller's transaction, loads the case, checks who may do it,
runs the domain command, and writes the case, its events (outbox) and its audit rows together.

Intake is written in groups (:func:`open_many`, queued through the kit's
:class:`~shared.service.group_commit.GroupCommit`): one transaction for many requests, each
keeping its own answer. Every other change locks the case's row (``FOR UPDATE``), so its
version — the ``sequence`` of its events on ``cases.case.v1`` — grows 1, 2, 3 … without gaps.

A refused command raises before anything is written (the domain checks everything first), and
the transaction is rolled back anyway: nothing of it remains.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg

from services.cases.access import audit as audit_records
from services.cases.access.break_glass import BreakGlassGrant, break_the_glass
from services.cases.access.policy import (
    CaseFile,
    Change,
    Visibility,
    disclose,
    may_open,
    require_permission,
    visibility,
)
from services.cases.actors import Actor
from services.cases.case_workers import repository as directory
from services.cases.cases import events as happened
from services.cases.cases import repository
from services.cases.cases.deadlines import Clocks
from services.cases.cases.intake import Consent, Intake
from services.cases.cases.levels import level_of_area
from services.cases.cases.model import Case
from services.cases.cases.publication import outgoing
from services.cases.cases.schemas import (
    ActionIn,
    ActionOut,
    AssignmentIn,
    BreakGlassOut,
    CaseFileOut,
    CaseIn,
    CaseOut,
    CaseState,
    CaseSummaryOut,
    CaseWorkerRequestIn,
    ClosureIn,
    ConsentChangeIn,
    ConsentOut,
    EscalationIn,
    EscalationOut,
    ReferralIn,
    ReferralOut,
    ReopeningIn,
)
from services.cases.dates import not_in_future, today
from services.cases.errors import InvalidField, NotPermitted
from services.cases.reports import repository as reports
from services.cases.reports.model import Report
from services.cases.workers.repository import facts_of
from shared import idempotency
from shared.areas import areas
from shared.auth import Principal, principal_key
from shared.contract.codes import IntakeChannel
from shared.contract.envelope import Envelope
from shared.idempotency import IdempotencyKeyReused, StoredResponse
from shared.service import audit, events
from shared.service.context import current_correlation_id
from shared.service.errors import NotFound

OUTSIDE = "this case is outside your jurisdiction"


def _common(case: Case) -> dict[str, Any]:
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
    return CaseState(**_common(case), version=case.version)


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


# -- intake ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Opening:
    """A validated intake waiting for its transaction (everything of the request fixed)."""

    principal: Principal
    case: Case
    correlation_id: str | None
    key: str | None = None
    fingerprint: str = ""

    @property
    def scoped_key(self) -> tuple[str, str] | None:
        return None if self.key is None else (principal_key(self.principal), self.key)


@dataclass(frozen=True)
class Replayed:
    """The Idempotency-Key already answered this very request: that answer, nothing written."""

    answer: StoredResponse


Opened = CaseState | Replayed


async def prepare_opening(
    pool: asyncpg.Pool,
    principal: Principal,
    body: CaseIn,
    *,
    key: str | None = None,
    fingerprint: str = "",
) -> Opening:
    """Check an intake and build its case (nothing written). For a registered worker the
    village, sex and procedural flag are the replica's; ``village`` and ``sex`` may be given
    only if they agree."""
    village, sex, procedural, agency_id = body.village, body.sex, False, body.agency_id
    if body.worker_id is not None:
        async with pool.acquire() as conn:
            known = await facts_of(cast(asyncpg.Connection, conn), [body.worker_id])
        worker = known.get(body.worker_id)
        if worker is None:
            raise InvalidField(
                "worker_id",
                "no registered worker with this id is known here (a registration reaches "
                "cases within seconds; an unregistered worker needs village and sex instead)",
            )
        for name, given, recorded in (
            ("village", village, worker.village),
            ("sex", sex, worker.sex),
        ):
            if given is not None and given != recorded:
                raise InvalidField(name, "disagrees with the registry's record of the worker")
        village, sex, procedural = worker.village, worker.sex, worker.procedural
        agency_id = agency_id or worker.agency_id
    if village is None:
        raise InvalidField("village", "is required for a worker without worker_id")
    if body.worker_id is None and village not in areas():
        raise InvalidField("village", "is not a known village code")
    if sex is None:
        raise InvalidField("sex", "is required for a worker without worker_id")
    if not may_open(principal, village):
        raise NotPermitted("the worker's village is outside your jurisdiction")
    opened_on = not_in_future("opened_on", body.opened_on or today())
    intake = Intake(
        village=village,
        sex=sex,
        category=body.category,
        channel=body.channel,
        narrative=body.narrative,
        office_level=level_of_area(principal.area),
        worker_id=body.worker_id,
        procedural=procedural,
        gbv_type=body.gbv_type,
        agency_id=agency_id,
        consent=Consent(referral=body.consent.referral, sharing=body.consent.sharing),
        requested_case_worker_sex=body.requested_case_worker_sex,
        documents_complete=body.documents_complete,
    )
    return Opening(
        principal=principal,
        case=Case.open(uuid.uuid4(), intake, opened_on),
        correlation_id=current_correlation_id(),
        key=key,
        fingerprint=fingerprint,
    )


async def open_many(
    conn: asyncpg.Connection, batch: Sequence[Opening]
) -> list[Opened | Exception | None]:
    """Write new cases in the caller's transaction with set-based statements.

    Per intake the same happens as if each ran alone, in list order: its Idempotency-Key is
    locked and looked up (replay, or 422 for another request under it); the case and its clocks
    are inserted; its ``case-opened`` event (sequence 1), its audit row and its key's answer are
    written. None: decided in the next transaction (a key an earlier intake of the batch holds).
    """
    outcomes: list[Opened | Exception | None] = [None] * len(batch)
    holders: dict[tuple[str, str], int] = {}
    todo: list[int] = []
    for i, item in enumerate(batch):
        scoped = item.scoped_key
        if scoped is not None:
            if scoped in holders:
                continue
            holders[scoped] = i
        todo.append(i)
    if holders:
        await idempotency.lock_many(conn, list(holders))
        for scoped, (fingerprint, answer) in (
            await idempotency.stored_many(conn, list(holders))
        ).items():
            i = holders[scoped]
            same = fingerprint == batch[i].fingerprint
            outcomes[i] = Replayed(answer) if same else IdempotencyKeyReused()
        todo = [i for i in todo if outcomes[i] is None]
    opened = [batch[i] for i in todo]
    await repository.insert_many(conn, [o.case for o in opened])
    await events.append_built(
        conn,
        [e for o in opened for e in envelopes(o.case.events, 0, o.case.area, o.correlation_id)],
    )
    now = datetime.now(UTC)
    await audit.record_many(
        conn,
        [
            _entry(o.principal, record, o.correlation_id)
            for o in opened
            for record in audit_records.changes(o.principal, o.case.events, now)
        ],
    )
    states = {i: state(batch[i].case) for i in todo}
    await idempotency.record_many(
        conn,
        [
            idempotency.Answer(
                principal=scoped[0],
                key=scoped[1],
                fingerprint=batch[i].fingerprint,
                status_code=201,
                body=opened_state.model_dump(mode="json"),
            )
            for i, opened_state in states.items()
            if (scoped := batch[i].scoped_key) is not None
        ],
    )
    for i, opened_state in states.items():
        outcomes[i] = opened_state
    return outcomes


def _entry(
    principal: Principal, record: audit_records.AuditRecord, correlation_id: str | None
) -> audit.Entry:
    return audit.Entry(
        principal,
        f"case.{record.action.value}",
        {
            "case_id": record.case_id,
            "what": record.what,
            "reason": record.reason,
            "grant_id": record.grant_id,
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
    await repository.save(
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
            [_entry(by, r, correlation) for r in audit_records.changes(by, recorded, now)],
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
    closed_on = not_in_future("closed_on", body.closed_on or today())
    if body.merged_into is not None and not await repository.exists(conn, body.merged_into):
        raise InvalidField("merged_into", "no such case")
    return await change(
        conn,
        principal,
        case_id,
        Change.CLOSE,
        lambda c: c.close(body.reason, closed_on, body.note, merged_into=body.merged_into),
    )


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


# -- reading ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    """The outcome of a read: what the caller saw (``none``: refused, but audited)."""

    seen: Visibility
    case: CaseOut | None


async def read(conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID) -> Read:
    """The case as ``principal`` may see it; the read is audited whatever was seen."""
    case = await repository.load(conn, case_id)
    if case is None:
        raise NotFound("no such case")
    now = datetime.now(UTC)
    grants = await repository.grants_of(conn, principal.sub, case_id, now)
    seen = visibility(principal, case, now, grants)
    grant = _grant_used(principal, case, now, grants) if seen is Visibility.FILE else None
    record = audit_records.read(principal, case.id, seen, now, grant)
    await audit.record_many(conn, [_entry(principal, record, current_correlation_id())])
    if seen is Visibility.NONE:
        return Read(seen, None)
    report = await _report_of(conn, case) if seen is Visibility.FILE else None
    disclosed = disclose(case, seen, report)
    summary = summary_of(case)
    if not isinstance(disclosed, CaseFile):
        return Read(
            seen, CaseOut(**summary.model_dump(), seen="summary", file=None, grant_expires_at=None)
        )
    history = await repository.history(conn, case.id)
    closure = case.closure
    file = CaseFileOut(
        narrative=disclosed.narrative,
        worker_id=disclosed.worker_id,
        sex=disclosed.sex,
        gbv_type=disclosed.gbv_type,
        procedural=disclosed.procedural,
        agency_id=disclosed.agency_id,
        channel=disclosed.channel,
        consent=ConsentOut(
            referral=disclosed.consent_to_referral, sharing=disclosed.consent_to_sharing
        ),
        requested_case_worker_sex=disclosed.requested_case_worker_sex,
        assignee_id=disclosed.assignee_id,
        handling_area=case.handling_area,
        closure_reason=disclosed.closure_reason,
        closed_on=closure.closed_on if closure else None,
        closure_note=closure.note if closure else None,
        merged_into=disclosed.merged_into,
        merged_reports=history.merged_reports,
        reporter_contact=disclosed.reporter_contact,
        actions=[ActionOut(**a) for a in history.actions],
        referrals=[ReferralOut.model_validate(r) for r in history.referrals],
        escalations=[EscalationOut(**e) for e in history.escalations],
    )
    return Read(
        seen,
        CaseOut(
            **summary.model_dump(),
            seen="file",
            file=file,
            grant_expires_at=grant.expires_at if grant else None,
        ),
    )


def _grant_used(
    principal: Principal, case: Case, now: datetime, grants: Sequence[BreakGlassGrant]
) -> BreakGlassGrant | None:
    """The grant a file read relies on (None when the caller sees the file by right)."""
    if visibility(principal, case, now) is Visibility.FILE:
        return None
    return next((g for g in grants if g.opens(principal, case.id, now)), None)


async def _report_of(conn: asyncpg.Connection, case: Case) -> Report | None:
    if case.channel is not IntakeChannel.PUBLIC_REPORT:
        return None
    return await reports.by_case(conn, case.id)


def summary_of(case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        **_common(case), area=case.area, category=case.category, opened_on=case.opened_on
    )


# -- break the glass -------------------------------------------------------------------------------
async def open_the_glass(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: uuid.UUID,
    reason: str,
    duration: timedelta,
) -> BreakGlassOut:
    """A grant opening the case file to ``principal`` for ``duration``, audited with its
    stated reason."""
    case = await repository.load(conn, case_id)
    if case is None:
        raise NotFound("no such case")
    grant = break_the_glass(principal, case, reason, datetime.now(UTC), uuid.uuid4(), duration)
    await repository.add_grant(conn, grant)
    record = audit_records.break_glass(principal, grant)
    await audit.record_many(conn, [_entry(principal, record, current_correlation_id())])
    return BreakGlassOut(grant_id=grant.id, case_id=case.id, expires_at=grant.expires_at)
