"""HTTP routes of the case workers' directory: ``/v1/case-workers``."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from services.cases.case_workers import repository
from services.cases.case_workers.models import CaseWorkerIn, CaseWorkerList, CaseWorkerOut
from services.cases.cases.assignment import CaseWorker
from services.cases.roles import DirectoryReader, Supervisor
from shared.auth import Principal, require_area, within_jurisdiction
from shared.contract.envelope import AREA_CODE
from shared.idempotency import IdempotencyKey
from shared.service import audit
from shared.service.db import Pool, idempotent_write, transaction
from shared.service.errors import COMMON_RESPONSES, Conflict, ErrorOut

router = APIRouter(prefix="/v1/case-workers", tags=["case workers"])


def _out(worker: CaseWorker) -> CaseWorkerOut:
    return CaseWorkerOut(
        id=worker.id,
        subject=worker.subject,
        sex=worker.sex,
        area=worker.area,
        open_cases=worker.open_cases,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseWorkerOut,
    summary="Add a case worker to the directory",
    responses={
        **COMMON_RESPONSES,
        409: {"model": ErrorOut, "description": "this subject is in the directory already"},
    },
)
async def add_case_worker(
    body: CaseWorkerIn,
    request: Request,
    principal: Supervisor,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Supervisors, for an area within theirs. The case worker then signs in with a token whose
    subject is `subject`; cases name them only by the pseudonymous `id`."""
    require_area(principal, body.area)
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_201_CREATED,
        lambda conn: _add(conn, principal, body),
    )


async def _add(conn: asyncpg.Connection, principal: Principal, body: CaseWorkerIn) -> CaseWorkerOut:
    worker = await repository.add(conn, body.subject, body.sex, body.area, principal.sub)
    if worker is None:
        raise Conflict("a case worker with this subject is in the directory already")
    await audit.record(conn, principal, "case-worker.add", case_worker_id=worker.id)
    return _out(worker)


@router.get(
    "",
    response_model=CaseWorkerList,
    summary="Case workers who may take cases of an area",
    responses=COMMON_RESPONSES,
)
async def list_case_workers(
    principal: DirectoryReader,
    pool: Pool,
    area: Annotated[
        str | None,
        Query(pattern=AREA_CODE, description="an area in your jurisdiction; default: yours"),
    ] = None,
) -> CaseWorkerList:
    """Those whose area lies within `area` or contains it, least loaded first (open cases)."""
    within = within_jurisdiction(principal, area)
    async with transaction(pool) as conn:
        workers = await repository.of_area(conn, within)
    return CaseWorkerList(items=[_out(w) for w in workers])
