"""HTTP routes of agencies: ``/v1/agencies``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from services.registry.access import Licenser, Revoker, Suspender
from services.registry.agencies import repository, service
from services.registry.agencies.models import (
    AgencyIn,
    AgencyOut,
    AgencyPage,
    AgencyStatus,
    SanctionIn,
)
from shared.auth import CurrentPrincipal
from shared.fields import Limit, Offset, next_offset
from shared.idempotency import IdempotencyKey
from shared.service.db import Pool, idempotent_write, transaction
from shared.service.errors import COMMON_RESPONSES, ErrorOut, NotFound

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])

_AGENCY_RESPONSES = {**COMMON_RESPONSES, 404: {"model": ErrorOut, "description": "no such agency"}}
_TRANSITION_RESPONSES = {
    **_AGENCY_RESPONSES,
    409: {"model": ErrorOut, "description": "the agency's status does not allow this"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AgencyOut,
    summary="License a placement agency (ministry)",
    responses={
        **COMMON_RESPONSES,
        409: {"model": ErrorOut, "description": "the licence number is already registered"},
    },
)
async def license_agency(
    body: AgencyIn, request: Request, principal: Licenser, pool: Pool, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a licensed agency; publishes `agency-licensed` on `registry.agency.v1`."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_201_CREATED,
        lambda conn: service.license_agency(conn, principal, body),
    )


@router.get(
    "",
    response_model=AgencyPage,
    summary="List agencies",
    responses={k: COMMON_RESPONSES[k] for k in (401, 422, 429)},
)
async def list_agencies(
    principal: CurrentPrincipal,
    pool: Pool,
    status_: Annotated[AgencyStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AgencyPage:
    """Agencies are public facts: any signed-in role may list them (a sanction's note only
    the ministry and province officers)."""
    async with transaction(pool) as conn:
        items = await repository.page(conn, status=status_, limit=limit + 1, offset=offset)
    return AgencyPage(
        items=[service.shown_to(principal, a) for a in items[:limit]],
        limit=limit,
        offset=offset,
        next_offset=next_offset(items, limit, offset),
    )


@router.get(
    "/{agency_id}",
    response_model=AgencyOut,
    summary="Read an agency",
    responses={
        **{k: COMMON_RESPONSES[k] for k in (401, 422, 429)},
        404: _AGENCY_RESPONSES[404],
    },
)
async def get_agency(agency_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool) -> AgencyOut:
    async with transaction(pool) as conn:
        agency = await repository.get(conn, agency_id)
    if agency is None:
        raise NotFound("no such agency")
    return service.shown_to(principal, agency)


@router.post(
    "/{agency_id}/suspension",
    response_model=AgencyOut,
    summary="Suspend an agency's licence (ministry, or the province of its seat)",
    responses=_TRANSITION_RESPONSES,
)
async def suspend_agency(
    agency_id: uuid.UUID,
    body: SanctionIn,
    request: Request,
    principal: Suspender,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Publishes `agency-suspended` with the reason's code (the note is never published).
    Only a licensed agency can be suspended."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_200_OK,
        lambda conn: service.suspend_agency(conn, principal, agency_id, body),
    )


@router.post(
    "/{agency_id}/revocation",
    response_model=AgencyOut,
    summary="Revoke an agency's licence (ministry)",
    responses=_TRANSITION_RESPONSES,
)
async def revoke_agency(
    agency_id: uuid.UUID,
    body: SanctionIn,
    request: Request,
    principal: Revoker,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Publishes `agency-revoked` with the reason's code (the note is never published).
    A revocation is final."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_200_OK,
        lambda conn: service.revoke_agency(conn, principal, agency_id, body),
    )
