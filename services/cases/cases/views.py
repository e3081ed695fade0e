"""HTTP routes of cases: ``/v1/cases`` and the steps under ``/v1/cases/{case_id}``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.cases.access.policy import Visibility
from services.cases.answers import Forbidden
from services.cases.cases import opening, reading, repository, service
from services.cases.cases.schemas import (
    ActionIn,
    AssignmentIn,
    BreakGlassIn,
    BreakGlassOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseState,
    CaseSummaryOut,
    CaseWorkerRequestIn,
    ClosureIn,
    ConsentChangeIn,
    EscalationIn,
    ReferralIn,
    ReopeningIn,
)
from services.cases.roles import CaseHandler, CaseReader, GlassBreaker, Officer
from services.cases.settings import CasesSettings
from shared.auth import Principal, within_jurisdiction
from shared.contract.codes import CaseCategory, CaseStatus, Level
from shared.contract.envelope import AREA_CODE
from shared.fields import Limit, Offset, next_offset
from shared.idempotency import IdempotencyKey
from shared.service import audit
from shared.service.db import Pool, before_queuing, idempotent_write, replay, transaction
from shared.service.errors import COMMON_RESPONSES, ErrorOut
from shared.service.limits import limits_of

router = APIRouter(prefix="/v1/cases", tags=["cases"])

CASE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorOut, "description": "no such case"},
}
STEP_RESPONSES: dict[int | str, dict[str, Any]] = {
    **CASE_RESPONSES,
    409: {"model": ErrorOut, "description": "the case's state does not allow this step"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseState,
    summary="Open a case",
    responses={**COMMON_RESPONSES, 409: {"model": ErrorOut, "description": "never for intake"}},
)
async def open_case(
    body: CaseIn,
    request: Request,
    principal: Officer,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a case for a registered worker (`worker_id`) or for someone never registered
    (`village`, `sex`), in your jurisdiction. It starts at your office's level, at province level
    at least for trafficking, sexual harassment and any GBV type. Publishes `case-opened`
    (sequence 1) on `cases.case.v1`, without the narrative or anything identifying."""
    checked = await before_queuing(pool, request, principal, key, body)
    if checked.replay is not None:
        return checked.replay
    prepared = await opening.prepare_opening(
        pool, principal, body, key=key, fingerprint=checked.fingerprint
    )
    intake: opening.IntakeQueue = request.app.state.intake
    outcome = await intake.submit(prepared)
    if isinstance(outcome, opening.Replayed):
        return replay(outcome.answer)
    return JSONResponse(outcome.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)


@router.get(
    "",
    response_model=CasePage,
    summary="List case summaries in your jurisdiction",
    responses=COMMON_RESPONSES,
)
async def list_cases(
    principal: CaseReader,
    pool: Pool,
    area: Annotated[
        str | None,
        Query(pattern=AREA_CODE, description="an area in your jurisdiction; default: all of it"),
    ] = None,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    level: Level | None = None,
    category: CaseCategory | None = None,
    verified: Annotated[bool | None, Query(description="false: reports awaiting triage")] = None,
    mine: Annotated[bool, Query(description="only the cases assigned to you")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CasePage:
    """Newest first: category, level, status, deadline, whether assigned — never the file.
    Every case listed is audited as read."""
    within = within_jurisdiction(principal, area)
    filters = repository.Filters(
        status=status_,
        level=level,
        category=category,
        verified=verified,
        assignee_subject=principal.sub if mine else None,
    )
    async with transaction(pool) as conn:
        rows = await repository.summaries(conn, within, filters, limit=limit + 1, offset=offset)
        items = [CaseSummaryOut.model_validate(dict(r)) for r in rows[:limit]]
        await audit.record_reads(conn, principal, "case.list", "case_id", [i.id for i in items])
    return CasePage(
        items=items, limit=limit, offset=offset, next_offset=next_offset(rows, limit, offset)
    )


@router.get(
    "/{case_id}",
    response_model=CaseOut,
    summary="Read a case",
    responses={
        **CASE_RESPONSES,
        403: {"model": ErrorOut, "description": "outside your role or your jurisdiction (audited)"},
    },
)
async def read_case(case_id: uuid.UUID, principal: CaseReader, pool: Pool) -> CaseOut:
    """The summary for everyone in the jurisdiction; the case file (narrative, the survivor's
    identity, consent, history) for the assigned case worker, supervisors of the area, officers
    triaging a report, and a break-the-glass grant. Every read is audited with what was seen,
    also a refused one."""
    async with transaction(pool) as conn:
        outcome = await reading.read(conn, principal, case_id)
    if outcome.seen is Visibility.NONE or outcome.case is None:
        raise Forbidden(service.OUTSIDE)
    return outcome.case


Run = Callable[[asyncpg.Connection, Principal, uuid.UUID, Any], Awaitable[BaseModel]]


def add_step(
    path: str,
    body_type: type[BaseModel],
    run: Run,
    *,
    name: str,
    summary: str,
    description: str,
    who: Any = CaseHandler,
    on: APIRouter = router,
) -> None:
    """A POST step on a case: ``run(conn, principal, case_id, body)`` in an idempotent write,
    answered with the case's state. Every step is declared alike, so it is made here once."""

    async def step(
        case_id: uuid.UUID,
        body: BaseModel,
        request: Request,
        principal: Principal,
        pool: asyncpg.Pool,
        key: str | None = None,
    ) -> JSONResponse:
        return await idempotent_write(
            pool,
            request,
            principal,
            key,
            body,
            status.HTTP_200_OK,
            lambda conn: run(conn, principal, case_id, body),
        )

    # FastAPI reads the parameters' annotations for validation, dependencies and the OpenAPI
    # document: each step gets its own body model and caller.
    step.__annotations__ = {
        "case_id": uuid.UUID,
        "body": body_type,
        "request": Request,
        "principal": who,
        "pool": Pool,
        "key": IdempotencyKey,
        "return": JSONResponse,
    }
    step.__name__ = step.__qualname__ = name
    on.post(
        path,
        response_model=CaseState,
        summary=summary,
        description=description,
        responses=STEP_RESPONSES,
    )(step)


add_step(
    "/{case_id}/escalation",
    EscalationIn,
    service.escalate,
    name="escalate",
    summary="Escalate a case one level up",
    description="With an `EscalationReason` code and an optional note (kept here). Publishes "
    "`case-escalated`; an assignee whose area does not contain the new handling area no "
    "longer holds the case. 409 at the national level or for a closed case.",
)
add_step(
    "/{case_id}/assignment",
    AssignmentIn,
    service.assign,
    name="assign",
    summary="Assign a case worker",
    description="`assignee`: the case worker's token subject, from the directory "
    "(`/v1/case-workers`). If the survivor asked for a case worker of a given sex and one is "
    "available, another is refused (409); when none is, the assignment records "
    "`requested_sex_honoured: false`.",
)
add_step(
    "/{case_id}/referral",
    ReferralIn,
    service.refer,
    name="refer",
    summary="Refer a case to an organisation",
    description="Needs the survivor's recorded consent to referral; without it, 409 unless a "
    "supervisor gives `override_reason` (audited). The file goes along only with consent to "
    "sharing.",
)
add_step(
    "/{case_id}/actions",
    ActionIn,
    service.act,
    name="act",
    summary="Record an action",
    description="A service, a workflow step (`assessment`, `case_plan`, `services_completed`) "
    "or a deadline step; publishes `case-action-taken` with the status and next deadline "
    "after it.",
)
add_step(
    "/{case_id}/closure",
    ClosureIn,
    service.close,
    name="close",
    summary="Close a case",
    description="With a `ClosureReason`: `resolved` needs services implemented, a deadline "
    "outcome needs its clock ended, `duplicate` names `merged_into`. Every clock stops.",
)
add_step(
    "/{case_id}/reopening",
    ReopeningIn,
    service.reopen,
    name="reopen",
    summary="Reopen a closed case",
    description="Back to assessment, with a `ReopeningReason`; the documents clock starts again "
    "while documents are incomplete.",
)
add_step(
    "/{case_id}/consent",
    ConsentChangeIn,
    service.record_consent,
    name="record_consent",
    summary="Record the survivor's consent",
    description="To referral and to sharing the file (the assigned case worker or a "
    "supervisor). Kept here and audited; no event is published.",
)
add_step(
    "/{case_id}/case-worker-request",
    CaseWorkerRequestIn,
    service.request_case_worker,
    name="request_case_worker",
    summary="Record the survivor's requested sex of case worker",
    description="`sex` null: no preference. Kept here and audited; assignment honours it.",
)


@router.post(
    "/{case_id}/break-glass",
    status_code=status.HTTP_201_CREATED,
    response_model=BreakGlassOut,
    summary="Open a case file you do not see by right, for a stated reason",
    responses={
        **CASE_RESPONSES,
        404: {
            "model": ErrorOut,
            "description": "no such case, or a case outside your province (the same answer)",
        },
        409: {"model": ErrorOut, "description": "you see this file by right already"},
    },
)
async def break_glass(
    case_id: uuid.UUID,
    body: BreakGlassIn,
    request: Request,
    principal: GlassBreaker,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Case workers and supervisors: the file of a case in your province opens to you for a few
    hours (3 by default); the grant is audited, and so is every read through it. A case outside
    your province is answered as an unknown one (404); grants per caller are limited (429)."""
    settings: CasesSettings = request.app.state.settings
    duration = timedelta(hours=settings.break_glass_hours)
    limits = limits_of(request)
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_201_CREATED,
        lambda c: reading.open_the_glass(c, principal, case_id, body.reason, duration, limits),
    )
