"""HTTP routes of agencies: ``/v1/agencies``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from services.registry import access
from services.registry.agencies import repository, service
from services.registry.agencies.models import (
    AgencyIn,
    AgencyOut,
    AgencyPage,
    AgencyStatus,
    SanctionIn,
)
from services.registry.errors import COMMON_RESPONSES, ErrorOut, NotFound
from services.registry.http import Pool, idempotent_write, transaction
from shared.auth import CurrentPrincipal, Principal
from shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])

Licenser = Annotated[Principal, Depends(access.roles(*access.AGENCY_LICENSERS))]
Suspender = Annotated[Principal, Depends(access.roles(*access.AGENCY_SUSPENDERS))]
Revoker = Annotated[Principal, Depends(access.roles(*access.AGENCY_REVOKERS))]

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
    responses={401: COMMON_RESPONSES[401], 422: COMMON_RESPONSES[422]},
)
async def list_agencies(
    _: CurrentPrincipal,
    pool: Pool,
    status_: Annotated[AgencyStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AgencyPage:
    """Agencies are public facts: any signed-in role may list them."""
    async with transaction(pool) as conn:
        items = await repository.page(conn, status=status_, limit=limit + 1, offset=offset)
    more = len(items) > limit
    return AgencyPage(
        items=items[:limit],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


@router.get(
    "/{agency_id}",
    response_model=AgencyOut,
    summary="Read an agency",
    responses={
        401: COMMON_RESPONSES[401],
        404: _AGENCY_RESPONSES[404],
        422: COMMON_RESPONSES[422],
    },
)
async def get_agency(agency_id: uuid.UUID, _: CurrentPrincipal, pool: Pool) -> AgencyOut:
    async with transaction(pool) as conn:
        agency = await repository.get(conn, agency_id)
    if agency is None:
        raise NotFound("no such agency")
    return agency


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
    """Publishes `agency-suspended`. Only a licensed agency can be suspended."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_200_OK,
        lambda conn: service.suspend_agency(conn, principal, agency_id, body.reason),
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
    """Publishes `agency-revoked`. A revocation is final."""
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        status.HTTP_200_OK,
        lambda conn: service.revoke_agency(conn, principal, agency_id, body.reason),
    )
