"""HTTP routes of workers: ``/v1/workers`` and the lifecycle steps under ``/v1/workers/{id}``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import JSONResponse

from services.registry.access import Officer, Verifier, WorkerReader
from services.registry.settings import RegistrySettings
from services.registry.workers import repository, service
from services.registry.workers.models import (
    DepartureCreated,
    DepartureIn,
    ReturnIn,
    VerificationIn,
    WorkerCreated,
    WorkerIn,
    WorkerOut,
    WorkerPage,
    WorkerState,
    WorkerSummary,
)
from shared.auth import within_jurisdiction
from shared.contract.codes import WorkerStatus
from shared.fields import Limit, Offset, next_offset
from shared.idempotency import IdempotencyKey
from shared.service import audit
from shared.service.db import Pool, before_queuing, idempotent_write, replay, transaction
from shared.service.errors import COMMON_RESPONSES, ErrorOut
from shared.service.limits import limits_of

router = APIRouter(prefix="/v1/workers", tags=["workers"])

WORKER_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorOut, "description": "no such worker"},
}

_STEP_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WORKER_RESPONSES,
    409: {"model": ErrorOut, "description": "the worker's status does not allow this step"},
}


def _settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkerCreated,
    summary="Register a worker",
    responses={
        **COMMON_RESPONSES,
        409: {
            "model": ErrorOut,
            "description": "the NIK is already registered (the NIK is never echoed; the "
            "existing worker's id is given when it lies in your jurisdiction). Each such "
            "refusal is audited and spends one from your duplicate-NIK budget; once it is "
            "spent, every registration of yours is answered 429 until it refills",
        },
    },
)
async def register_worker(
    body: WorkerIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a prospective worker (or, with `procedural: false`, one reported abroad).

    The NIK must be 16 digits whose district exists, whose date digits equal `birth_date`
    (a woman's day + 40) and agree with `sex`. Publishes `worker-registered` (sequence 1) on
    `registry.worker.v1`, without any personal data.
    """
    service.validate_registration(principal, body)
    limits = limits_of(request)
    service.check_probe_budget(limits, principal)
    settings = _settings(request)
    checked = await before_queuing(pool, request, principal, key, body)
    if checked.replay is not None:
        return checked.replay
    prepared = service.registration(
        principal, body, secret=settings.nik_hmac_secret, key=key, fingerprint=checked.fingerprint
    )
    registrations: service.Registrations = request.app.state.registrations
    outcome = await registrations.submit(prepared)
    if isinstance(outcome, service.Replayed):
        return replay(outcome.answer)
    created = service.answer(principal, body, outcome, limits)
    return JSONResponse(created.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)


@router.get(
    "",
    response_model=WorkerPage,
    summary="List workers in your jurisdiction",
    responses=COMMON_RESPONSES,
)
async def list_workers(
    principal: WorkerReader,
    pool: Pool,
    village: Annotated[
        str | None,
        Query(
            pattern=r"^(ID|\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)$",
            description="an area code inside your jurisdiction (any level); default: all of it",
        ),
    ] = None,
    status_: Annotated[WorkerStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorkerPage:
    """Oldest registration first. Every worker shown is audited as a read of a personal record."""
    within = within_jurisdiction(principal, village)
    async with transaction(pool) as conn:
        rows = await repository.page(
            conn, within=within, status=status_, limit=limit + 1, offset=offset
        )
        items = [WorkerSummary.model_validate(dict(r)) for r in rows[:limit]]
        await audit.record_reads(conn, principal, "worker.list", "worker_id", [i.id for i in items])
    return WorkerPage(
        items=items, limit=limit, offset=offset, next_offset=next_offset(rows, limit, offset)
    )


@router.get(
    "/{worker_id}",
    response_model=WorkerOut,
    summary="Read a worker's record",
    responses=WORKER_RESPONSES,
)
async def get_worker(worker_id: uuid.UUID, principal: WorkerReader, pool: Pool) -> WorkerOut:
    """A personal record: the read is audited. The NIK is shown to officers only."""
    async with transaction(pool) as conn:
        return await service.read(conn, principal, worker_id)


@router.post(
    "/{worker_id}/verification",
    response_model=WorkerState,
    summary="Verify a registration (regency, province or ministry)",
    responses=_STEP_RESPONSES,
)
async def verify_worker(
    worker_id: uuid.UUID,
    request: Request,
    principal: Verifier,
    pool: Pool,
    body: Annotated[VerificationIn | None, Body()] = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """registered → verified. Publishes `worker-verified`. The body may be empty."""
    payload = body or VerificationIn()
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        payload,
        status.HTTP_200_OK,
        lambda conn: service.verify(conn, principal, worker_id, payload),
    )


@router.post(
    "/{worker_id}/departures",
    status_code=status.HTTP_201_CREATED,
    response_model=DepartureCreated,
    summary="Record a departure abroad",
    responses=_STEP_RESPONSES,
)
async def record_departure(
    worker_id: uuid.UUID,
    body: DepartureIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """verified or returned → departed (a non-procedural worker may depart unverified).

    An unknown `agency_id` is refused (422); a suspended or revoked agency is recorded, with
    `agency_status` and a warning in the answer. Publishes `worker-departed`.
    """
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_201_CREATED,
        lambda conn: service.depart(conn, principal, worker_id, body),
    )


@router.post(
    "/{worker_id}/returns",
    response_model=WorkerState,
    summary="Record a return home",
    responses=_STEP_RESPONSES,
)
async def record_return(
    worker_id: uuid.UUID,
    body: ReturnIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """departed → returned. Publishes `worker-returned`."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_200_OK,
        lambda conn: service.return_home(conn, principal, worker_id, body),
    )
