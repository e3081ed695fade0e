"""HTTP routes of services delivered: ``POST /v1/workers/{id}/services`` (one delivery) and
``POST /v1/service-sessions`` (a session and its participants, all or nothing)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from services.registry.access import Officer
from services.registry.deliveries import service
from services.registry.deliveries.models import (
    ServiceIn,
    ServiceRecorded,
    SessionIn,
    SessionRecorded,
)
from services.registry.workers.views import WORKER_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.service.db import Pool, idempotent_write
from shared.service.errors import COMMON_RESPONSES

router = APIRouter(tags=["services"])


@router.post(
    "/v1/workers/{worker_id}/services",
    status_code=status.HTTP_201_CREATED,
    response_model=ServiceRecorded,
    summary="Record a service delivered to a worker or a member of the worker's family",
    responses=WORKER_RESPONSES,
)
async def record_service(
    worker_id: uuid.UUID,
    body: ServiceIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """A service (`kind`) delivered on `delivered_on` to the worker, or to the family member
    named by `beneficiary` (relation, sex, year of birth: the same three name the same person
    again). Publishes `service-delivered` on the worker's stream (it bumps the worker's
    version), with the beneficiary's relation and sex only. The answer says whether it counts
    as preparing a departure (`prepares_departure_on`) or as reintegration after a return
    (`reintegrates_return_on`), judged by the days things happened."""

    async def write(conn: Any) -> ServiceRecorded:
        recording = service.Recording(body.kind, body.delivered_on, body.provider)
        delivery = service.Delivery(worker_id, body.beneficiary)
        (recorded,) = await service.record(conn, principal, recording, [delivery], in_path=True)
        return recorded

    return await idempotent_write(
        pool, request, principal, key, body, status.HTTP_201_CREATED, write
    )


@router.post(
    "/v1/service-sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionRecorded,
    summary="Record a session (a training, a meeting) with its participants",
    responses=COMMON_RESPONSES,
)
async def record_session(
    body: SessionIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """One request for a whole session: a delivery of `kind` on `delivered_on` to each
    participant (a worker, or a member of that worker's family), each published as
    `service-delivered` naming the session. All or nothing: a participant at fault is a 422
    naming it (`["body", "participants", 3, "worker_id"]`), a worker outside your jurisdiction
    a 403, and then nothing is written. Send an `Idempotency-Key`: a retried session is then
    answered again without being recorded twice."""

    async def write(conn: Any) -> SessionRecorded:
        session_id = uuid.uuid4()
        recording = service.Recording(body.kind, body.delivered_on, body.provider, session_id)
        deliveries = [
            service.Delivery(p.worker_id, p.beneficiary, ("participants", i))
            for i, p in enumerate(body.participants)
        ]
        recorded = await service.record(conn, principal, recording, deliveries)
        first = recorded[0]
        return SessionRecorded(
            id=session_id,
            kind=body.kind,
            delivered_on=body.delivered_on,
            provider=first.provider,
            provider_area=first.provider_area,
            participants=len(recorded),
            deliveries=recorded,
        )

    return await idempotent_write(
        pool, request, principal, key, body, status.HTTP_201_CREATED, write
    )
