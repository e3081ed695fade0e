"""Intake: a case opened by an officer, prepared per request and written in groups.

:func:`prepare_opening` checks a request and builds its case (nothing written);
:func:`open_many` writes a batch of them in one transaction (queued through the kit's
:class:`~shared.service.group_commit.GroupCommit`), each keeping its own answer and its own
Idempotency-Key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import asyncpg

from services.cases.access import audit as audit_records
from services.cases.access.policy import (
    may_open,
)
from services.cases.cases import repository
from services.cases.cases.intake import Consent, Intake
from services.cases.cases.levels import level_of_area
from services.cases.cases.model import Case
from services.cases.cases.schemas import (
    CaseIn,
    CaseState,
)
from services.cases.cases.service import audit_entry, envelopes, state
from services.cases.dates import not_in_future, today
from services.cases.errors import InvalidField, NotPermitted
from services.cases.workers.repository import facts_of
from shared import idempotency
from shared.areas import areas
from shared.auth import Principal, principal_key
from shared.idempotency import IdempotencyKeyReused, StoredResponse
from shared.service import audit, events
from shared.service.context import current_correlation_id
from shared.service.group_commit import GroupCommit


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
# The queue of intake (``app.state.intake``), written by :func:`open_many`.
IntakeQueue = GroupCommit[Opening, Opened]


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
    only if they agree.

    The area comes first: a worker outside the caller's jurisdiction is answered exactly as an
    unknown worker id, and only a worker inside it is compared with the given ``village`` and
    ``sex``; otherwise the answers would tell an officer anywhere whether an id is a registered
    worker, and that worker's sex and village."""
    village, sex, procedural, agency_id = body.village, body.sex, False, body.agency_id
    if body.worker_id is not None:
        async with pool.acquire() as conn:
            known = await facts_of(cast(asyncpg.Connection, conn), [body.worker_id])
        worker = known.get(body.worker_id)
        if worker is None or not may_open(principal, worker.village):
            raise InvalidField(
                "worker_id",
                "no registered worker with this id is known in your jurisdiction (a "
                "registration reaches cases within seconds; an unregistered worker needs "
                "village and sex instead)",
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
            audit_entry(o.principal, record, o.correlation_id)
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
