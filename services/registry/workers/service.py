"""Worker use cases: each runs in the caller's transaction and appends its event to the outbox.

Registrations are written in groups (:func:`register_many`, queued by the kit's
:class:`~shared.service.group_commit.GroupCommit`, ``app.state.registrations``): one transaction
for many requests, each keeping its own answer. Nothing changes per request: a taken NIK is a 409
(also when the other registration is in the same batch), a replayed key answers the stored answer.

The worker row is locked (``FOR UPDATE``) for every change, so its version — the ``sequence`` of
its events on ``registry.worker.v1`` — grows 1, 2, 3 … with no gap and no duplicate, and the
outbox receives a worker's events in that order.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.registry.access import sees_nik
from services.registry.agencies import service as agencies
from services.registry.deliveries import programmes
from services.registry.deliveries import repository as deliveries
from services.registry.fees import repository as fees
from services.registry.fees.occupation import Placement
from services.registry.metrics import DUPLICATE_NIK, DUPLICATE_NIK_LIMITED
from services.registry.workers import lifecycle, repository
from services.registry.workers.lifecycle import IllegalTransition
from services.registry.workers.models import (
    DepartureCreated,
    DepartureIn,
    DepartureView,
    ReturnIn,
    VerificationIn,
    WorkerCreated,
    WorkerIn,
    WorkerOut,
    WorkerState,
)
from services.registry.workers.nik import (
    MAX_AGE,
    MIN_AGE,
    NikError,
    parse_nik,
    plausible_birth_date,
)
from shared import idempotency
from shared.areas import areas
from shared.auth import Principal, principal_key, require_area
from shared.contract.codes import (
    PRE_DEPARTURE_SERVICES,
    REINTEGRATION_SERVICES,
    Channel,
    ServiceKind,
    WorkerStatus,
)
from shared.contract.events import WorkerDeparted, WorkerRegistered, WorkerReturned, WorkerVerified
from shared.idempotency import IdempotencyKeyReused, StoredResponse
from shared.logging import get_logger
from shared.service import audit, events
from shared.service.context import current_correlation_id
from shared.service.errors import Conflict, FieldError, InvalidFields, NotFound, TooManyRequests
from shared.service.group_commit import GroupCommit
from shared.service.limits import RateLimits

log = get_logger(__name__)

# Dates reported by a village may be a day ahead of UTC (Indonesia is UTC+7 to UTC+9).
_CLOCK_SLACK = timedelta(days=1)


def today() -> date:
    return datetime.now(UTC).date()


def nik_hash(nik: str, secret: str) -> bytes:
    """Keyed hash of a NIK: finds duplicates; worthless to whoever lacks the server secret."""
    return hmac.new(secret.encode(), nik.encode(), hashlib.sha256).digest()


def registration_errors(body: WorkerIn, *, on: date) -> list[FieldError]:
    """Everything wrong with a registration made ``on`` a day (``registered_on``, else today);
    messages never repeat the NIK, name or date."""
    errors: list[FieldError] = []
    if not areas().is_village(body.village):
        errors.append(FieldError("village", "not a known village code"))
    if body.birth_date > on:
        errors.append(FieldError("birth_date", "is in the future, or after registered_on"))
    elif not plausible_birth_date(body.birth_date, on):
        errors.append(
            FieldError("birth_date", f"gives no plausible age ({MIN_AGE} to {MAX_AGE} years)")
        )
    try:
        info = parse_nik(body.nik, today=on)
    except NikError as exc:
        errors.append(FieldError("nik", str(exc)))
        return errors
    if info.sex is not body.sex:
        errors.append(
            FieldError(
                "sex",
                f"disagrees with the NIK, whose birth day marks a {info.sex.value} worker "
                "(a woman's day is +40)",
            )
        )
    if not any(e.field == "birth_date" for e in errors) and info.birth_date != body.birth_date:
        errors.append(FieldError("birth_date", "does not match the birth date in the NIK"))
    return errors


def not_future(field: str, value: date | None) -> list[FieldError]:
    if value is not None and value > today() + _CLOCK_SLACK:
        return [FieldError(field, "is in the future")]
    return []


async def _locked_in_jurisdiction(
    conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID
) -> repository.Worker:
    worker = await repository.get(conn, worker_id, lock=True)
    if worker is None:
        raise NotFound("no such worker")
    require_area(principal, worker.village)
    return worker


@dataclass(frozen=True)
class Registration:
    """A validated registration waiting for its transaction (queued in the group commit).

    Everything that belongs to the request — the caller, the new worker's id, the NIK's keyed
    hash, the date, the correlation id, the Idempotency-Key — is fixed when it is made, so the
    transaction that writes it may serve many requests at once.
    """

    principal: Principal
    worker: repository.NewWorker
    registered_on: date
    correlation_id: str | None
    key: str | None = None
    fingerprint: str = ""

    @property
    def scoped_key(self) -> tuple[str, str] | None:
        """(principal, key) as ``shared.idempotency`` scopes keys; None without a key."""
        return None if self.key is None else (principal_key(self.principal), self.key)


def registration(
    principal: Principal,
    body: WorkerIn,
    *,
    secret: str,
    key: str | None = None,
    fingerprint: str = "",
) -> Registration:
    """Jurisdiction and validation are checked by the caller (:func:`validate_registration`)."""
    registered_on = body.registered_on or today()
    return Registration(
        principal=principal,
        worker=repository.NewWorker(
            id=uuid.uuid4(),
            nik_hash=nik_hash(body.nik, secret),
            nik=body.nik,
            name=body.name,
            sex=body.sex,
            birth_date=body.birth_date,
            village=body.village,
            occupation=body.occupation,
            procedural=body.procedural,
            registered_on=registered_on,
        ),
        registered_on=registered_on,
        correlation_id=current_correlation_id(),
        key=key,
        fingerprint=fingerprint,
    )


@dataclass(frozen=True)
class Registered:
    worker_id: uuid.UUID


@dataclass(frozen=True)
class Duplicate:
    """The NIK was already registered (by an earlier request, or earlier in the same batch)."""

    existing_id: uuid.UUID | None
    existing_village: str | None


@dataclass(frozen=True)
class Replayed:
    """The Idempotency-Key already answered this very request: that answer, nothing written."""

    answer: StoredResponse


# None: not decided in this transaction — a second request under a key that an earlier request
# of the same batch holds; it goes into the next batch, where it sees the first one's answer.
Settled = Registered | Duplicate | Replayed
Outcome = Settled | IdempotencyKeyReused | None
# The queue of registrations (``app.state.registrations``), written by :func:`register_many`.
Registrations = GroupCommit[Registration, Settled]


def created(worker_id: uuid.UUID) -> WorkerCreated:
    return WorkerCreated(id=worker_id, status=WorkerStatus.REGISTERED, version=1)


async def register_many(conn: asyncpg.Connection, batch: Sequence[Registration]) -> list[Outcome]:
    """Write registrations in the caller's transaction with set-based statements.

    Per registration the same happens as if each ran alone, in list order: its
    Idempotency-Key is locked and looked up (replay, or 422 for another request under it); the
    worker is inserted unless its NIK is taken (then :class:`Duplicate`, nothing else written);
    its ``worker-registered`` event (sequence 1, area = village, its correlation id), its audit
    row and its key's answer are written. A duplicate is audited as a probe
    (``worker.register.duplicate``, naming the existing worker).
    """
    outcomes: list[Outcome] = [None] * len(batch)
    holders: dict[tuple[str, str], int] = {}
    todo: list[int] = []
    for i, item in enumerate(batch):
        scoped = item.scoped_key
        if scoped is not None:
            if scoped in holders:
                continue  # decided in the next transaction, after this one's answer is stored
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
    inserted = await repository.insert_many(conn, [batch[i].worker for i in todo])
    refused = [batch[i].worker.nik_hash for i in todo if batch[i].worker.id not in inserted]
    existing = await repository.ids_by_nik_hashes(conn, refused) if refused else {}
    done: list[Registration] = []
    for i in todo:
        item = batch[i]
        if item.worker.id in inserted:
            outcomes[i] = Registered(item.worker.id)
            done.append(item)
        else:
            found = existing.get(item.worker.nik_hash)
            outcomes[i] = Duplicate(*found) if found else Duplicate(None, None)
    await events.append_built(
        conn,
        [
            events.build(
                subject=item.worker.id,
                sequence=1,
                area=item.worker.village,
                data=WorkerRegistered(
                    sex=item.worker.sex,
                    birth_year=item.worker.birth_date.year,
                    procedural=item.worker.procedural,
                    occupation=item.worker.occupation,
                    registered_on=item.registered_on,
                ),
                correlation_id=item.correlation_id,
            )
            for item in done
        ],
    )
    await audit.record_many(
        conn,
        [
            audit.Entry(
                item.principal,
                "worker.register",
                {"worker_id": item.worker.id},
                item.correlation_id,
            )
            for item in done
        ]
        + [
            # A refused duplicate is a probe of the national register: audited with the
            # existing worker (never shown to the caller outside its jurisdiction).
            audit.Entry(
                batch[i].principal,
                "worker.register.duplicate",
                {"worker_id": outcome.existing_id},
                batch[i].correlation_id,
            )
            for i in todo
            if isinstance(outcome := outcomes[i], Duplicate)
        ],
    )
    await idempotency.record_many(
        conn,
        [
            idempotency.Answer(
                principal=scoped[0],
                key=scoped[1],
                fingerprint=item.fingerprint,
                status_code=201,
                body=created(item.worker.id).model_dump(mode="json"),
            )
            for item in done
            if (scoped := item.scoped_key) is not None
        ],
    )
    return outcomes


DUPLICATE_BUDGET = "duplicate_nik"
_PROBES_SPENT = (
    "too many registrations refused as duplicate NIKs from your account; each tells whether a "
    "person is registered, so they are limited: retry later"
)


def check_probe_budget(limits: RateLimits | None, principal: Principal) -> None:
    """429 when the caller has spent its duplicate-NIK budget: then every registration of the
    caller waits, as a 201-or-409 answer would still tell whether a NIK is registered."""
    if limits is None:
        return
    try:
        limits.check(DUPLICATE_BUDGET, principal_key(principal), _PROBES_SPENT)
    except TooManyRequests:
        DUPLICATE_NIK_LIMITED.inc()
        raise


def answer(
    principal: Principal,
    body: WorkerIn,
    outcome: Registered | Duplicate,
    limits: RateLimits | None = None,
) -> WorkerCreated:
    """The request's own answer once its batch has committed: 201, or 409 for a taken NIK
    (logged with the existing worker's id, never the NIK; that id is shown only inside the
    caller's jurisdiction). A 409 spends one from the caller's duplicate-NIK budget; the one
    that overdraws it is answered 429 instead."""
    if isinstance(outcome, Registered):
        log.info("worker registered", worker_id=str(outcome.worker_id), village=body.village)
        return created(outcome.worker_id)
    DUPLICATE_NIK.inc()
    if limits is not None:
        try:
            limits.spend(DUPLICATE_BUDGET, principal_key(principal), _PROBES_SPENT)
        except TooManyRequests:
            DUPLICATE_NIK_LIMITED.inc()
            raise
    log.warning(
        "duplicate NIK refused",
        existing_worker_id=str(outcome.existing_id),
        existing_village=outcome.existing_village,
        village=body.village,
    )
    village = outcome.existing_village
    visible = village is not None and principal.covers(village)
    raise Conflict(
        "a worker with this NIK is already registered",
        worker_id=str(outcome.existing_id) if visible else None,
    )


def validate_registration(principal: Principal, body: WorkerIn) -> None:
    """422 on a malformed registration, 403 outside the caller's jurisdiction (in that order
    only for the village: an unknown village has no jurisdiction to compare)."""
    errors = not_future("registered_on", body.registered_on)
    on = today() if errors or body.registered_on is None else body.registered_on
    errors += registration_errors(body, on=on)
    if any(e.field == "village" for e in errors):
        raise InvalidFields(errors)
    require_area(principal, body.village)
    if errors:
        raise InvalidFields(errors)


async def verify(
    conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID, body: VerificationIn
) -> WorkerState:
    errors = not_future("verified_on", body.verified_on)
    if errors:
        raise InvalidFields(errors)
    worker = await _locked_in_jurisdiction(conn, principal, worker_id)
    try:
        status = lifecycle.verify(worker.status)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    verified_on = body.verified_on or today()
    version = worker.version + 1
    await repository.set_status(
        conn, worker_id, status=status, version=version, verified_on=verified_on
    )
    await events.append(
        conn,
        subject=worker_id,
        sequence=version,
        area=worker.village,
        data=WorkerVerified(verified_on=verified_on),
    )
    await audit.record(conn, principal, "worker.verify", worker_id=worker_id)
    return WorkerState(id=worker_id, status=status, version=version)


def departure_errors(body: DepartureIn) -> list[FieldError]:
    errors = not_future("departed_on", body.departed_on)
    if body.destination_country == "ID":
        errors.append(FieldError("destination_country", "a placement abroad cannot be in ID"))
    if body.contract_end is not None and body.contract_end <= body.departed_on:
        errors.append(FieldError("contract_end", "must be after departed_on"))
    return errors


async def depart(
    conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID, body: DepartureIn
) -> DepartureCreated:
    errors = departure_errors(body)
    if errors:
        raise InvalidFields(errors)
    worker = await _locked_in_jurisdiction(conn, principal, worker_id)
    if worker.procedural and body.channel is Channel.P3MI and body.agency_id is None:
        raise InvalidFields(
            [FieldError("agency_id", "a procedural p3mi placement names its licensed agency")]
        )
    agency = await agencies.reference(conn, body.agency_id)
    try:
        status = lifecycle.depart(worker.status, procedural=worker.procedural)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    last = await repository.latest_departure(conn, worker_id)
    if last is not None and last["returned_on"] and body.departed_on < last["returned_on"]:
        raise InvalidFields([FieldError("departed_on", "is before the worker's last return")])
    prepared_by = await _services_within(
        conn,
        worker_id,
        lambda placements: programmes.departure_window(
            placements, Placement(body.occupation, body.departed_on, None)
        ),
        PRE_DEPARTURE_SERVICES,
    )
    departure_id = uuid.uuid4()
    version = worker.version + 1
    await repository.insert_departure(
        conn,
        departure_id=departure_id,
        worker_id=worker_id,
        occupation=body.occupation,
        destination_country=body.destination_country,
        channel=body.channel.value,
        agency_id=body.agency_id,
        departed_on=body.departed_on,
        contract_end=body.contract_end,
    )
    await repository.set_status(conn, worker_id, status=status, version=version)
    await events.append(
        conn,
        subject=worker_id,
        sequence=version,
        area=worker.village,
        data=WorkerDeparted(
            occupation=body.occupation,
            destination_country=body.destination_country,
            channel=body.channel,
            agency_id=body.agency_id,
            departed_on=body.departed_on,
            contract_end=body.contract_end,
            prepared_by=prepared_by,
        ),
    )
    await audit.record(conn, principal, "worker.depart", worker_id=worker_id)
    return DepartureCreated(
        id=worker_id,
        status=status,
        version=version,
        departure_id=departure_id,
        agency_status=agency.status.value if agency.status else None,
        warnings=agency.warnings,
    )


async def _services_within(
    conn: asyncpg.Connection,
    worker_id: uuid.UUID,
    window_of: Callable[[list[Placement]], programmes.Window | None],
    kinds: frozenset[ServiceKind],
) -> list[ServiceKind]:
    """The kinds among ``kinds`` of the services recorded for the worker (not the family)
    within the window of a departure or a return (``deliveries/programmes.py``)."""
    placements = (await repository.placements_of(conn, [worker_id]))[worker_id]
    window = window_of(placements)
    if window is None:
        return []
    recorded = (await deliveries.delivered_to(conn, [worker_id])).get((worker_id, None), [])
    return programmes.kinds_within(window, recorded, kinds)


async def return_home(
    conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID, body: ReturnIn
) -> WorkerState:
    errors = not_future("returned_on", body.returned_on)
    if errors:
        raise InvalidFields(errors)
    worker = await _locked_in_jurisdiction(conn, principal, worker_id)
    try:
        status = lifecycle.return_home(worker.status)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    open_departure = await repository.latest_departure(conn, worker_id)
    if open_departure is not None:
        if body.returned_on < open_departure["departed_on"]:
            raise InvalidFields([FieldError("returned_on", "is before the departure")])
        await repository.close_departure(conn, open_departure["id"], body.returned_on)
    reintegrated_by = await _services_within(
        conn,
        worker_id,
        lambda placements: programmes.return_window(placements[-1]) if placements else None,
        REINTEGRATION_SERVICES,
    )
    version = worker.version + 1
    await repository.set_status(conn, worker_id, status=status, version=version)
    await events.append(
        conn,
        subject=worker_id,
        sequence=version,
        area=worker.village,
        data=WorkerReturned(returned_on=body.returned_on, reintegrated_by=reintegrated_by),
    )
    await audit.record(conn, principal, "worker.return", worker_id=worker_id)
    return WorkerState(id=worker_id, status=status, version=version)


async def read(conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID) -> WorkerOut:
    """A personal record: the read is audited (in this transaction); 403 reads are not."""
    worker = await repository.get(conn, worker_id)
    if worker is None:
        raise NotFound("no such worker")
    require_area(principal, worker.village)
    await audit.record(conn, principal, "worker.read", worker_id=worker_id)
    services, family = await deliveries.of_worker(conn, worker_id)
    index = areas()
    return WorkerOut(
        id=worker.id,
        nik=worker.nik if sees_nik(principal) else None,
        name=worker.name,
        sex=worker.sex,
        birth_date=worker.birth_date,
        village=worker.village,
        village_name=index.name(worker.village) if worker.village in index else None,
        occupation=worker.occupation,
        procedural=worker.procedural,
        status=worker.status,
        version=worker.version,
        verified_on=worker.verified_on,
        registered_on=worker.registered_on,
        registered_at=worker.registered_at,
        departures=[
            DepartureView.model_validate(dict(r))
            for r in await repository.departures(conn, worker_id)
        ],
        fees=await fees.of_worker(conn, worker_id),
        services=services,
        family=family,
    )
