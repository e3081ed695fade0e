"""HTTP route of fees: ``POST /v1/workers/{id}/fees``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from services.registry.access import Officer
from services.registry.fees import service
from services.registry.fees.models import FeeCreated, FeeIn
from services.registry.workers.views import WORKER_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.service.db import Pool, idempotent_write

router = APIRouter(prefix="/v1/workers", tags=["fees"])


@router.post(
    "/{worker_id}/fees",
    status_code=status.HTTP_201_CREATED,
    response_model=FeeCreated,
    summary="Record a fee charged to a worker",
    responses=WORKER_RESPONSES,
)
async def record_fee(
    worker_id: uuid.UUID,
    body: FeeIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a fee and judge it by the zero-cost rule (`legality`: `illegal` or `warning`).

    Illegal: one of the fourteen listed components, charged on or after 2021-07-15, to a worker
    in one of the ten listed occupations (Regulation BP2MI 9/2020 art. 3). Anything else is a
    warning (ILO fair recruitment: no worker should pay). Publishes `fee-charged` on the worker's
    stream; it bumps the worker's version. Any status may be charged a fee.
    """
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_201_CREATED,
        lambda conn: service.record_fee(conn, principal, worker_id, body),
    )
