"""HTTP routes: ``GET /v1/alerts``, ``GET /v1/alerts/summary``, the two lifecycle steps
``POST /v1/alerts/{id}/acknowledgement`` and ``POST /v1/alerts/{id}/resolution``, and the live
stream ``GET /v1/alerts/stream`` (:mod:`services.alerts.monitors.stream`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from services.alerts.keeper import EngineKeeper
from services.alerts.monitors import service
from services.alerts.monitors.access import Monitor, Reader
from services.alerts.monitors.models import (
    AREA_CODE_PATTERN,
    AlertOut,
    AlertPage,
    AlertSummary,
    ResolutionIn,
)
from services.alerts.monitors.stream import MAX_POSITION, open_stream
from shared.auth import principal_key, within_jurisdiction
from shared.contract.codes import AlertRule, AlertStatus
from shared.fields import Limit, Offset
from shared.idempotency import IdempotencyKey
from shared.service.db import Pool, idempotent_write
from shared.service.errors import COMMON_RESPONSES, ErrorOut
from shared.service.limits import address_of, limits_of

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

AreaQuery = Annotated[
    str | None,
    Query(
        pattern=AREA_CODE_PATTERN,
        description="an area code inside your jurisdiction (any level): the alerts whose area "
        "is it or lies under it; default: all of your jurisdiction",
    ),
]
_STEP_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorOut, "description": "no such alert"},
    409: {"model": ErrorOut, "description": "the alert is already resolved"},
}


def _keeper(request: Request) -> EngineKeeper:
    keeper: EngineKeeper = request.app.state.keeper
    return keeper


@router.get(
    "",
    response_model=AlertPage,
    summary="List the alerts of your jurisdiction, newest first",
    responses=COMMON_RESPONSES,
)
async def list_alerts(
    principal: Reader,
    pool: Pool,
    status: Annotated[
        list[AlertStatus] | None,
        Query(description="repeat for several (status=open&status=acknowledged); default: all"),
    ] = None,
    rule: Annotated[
        list[AlertRule] | None, Query(max_length=len(AlertRule), description="repeatable")
    ] = None,
    area: AreaQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AlertPage:
    """Alerts whose area is `area` or lies under it, newest first. `position` is the last
    alert change the page reflects: open the live stream with `after=position`."""
    return await service.list_alerts(
        pool,
        principal,
        area=area,
        statuses=status or [],
        rules=rule or [],
        limit=limit,
        offset=offset,
    )


@router.get(
    "/summary",
    response_model=AlertSummary,
    summary="Count the unresolved alerts; alerts raised per day",
    responses=COMMON_RESPONSES,
)
async def alert_summary(
    request: Request,
    principal: Reader,
    pool: Pool,
    area: AreaQuery = None,
    days: Annotated[int, Query(ge=1, le=366, description="days of raised_per_day")] = 30,
) -> AlertSummary:
    """The open and acknowledged alerts of the area counted by status, severity and rule, and
    the alerts raised each day (UTC) of the last `days` days, by severity."""
    today = _keeper(request).clock.now().date()
    return await service.summary(pool, principal, area=area, days=days, today=today)


@router.post(
    "/{alert_id}/acknowledgement",
    response_model=AlertOut,
    summary="Acknowledge an alert (monitors)",
    responses=_STEP_RESPONSES,
)
async def acknowledge(
    alert_id: uuid.UUID,
    request: Request,
    principal: Monitor,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Open → acknowledged; publishes `alert-acknowledged`. Acknowledging again changes
    nothing. Who and when are kept here, never published."""
    keeper = _keeper(request)
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        None,
        200,
        lambda conn: service.acknowledge(conn, keeper, principal, alert_id),
    )


@router.post(
    "/{alert_id}/resolution",
    response_model=AlertOut,
    summary="Resolve an alert with a note (monitors)",
    responses=_STEP_RESPONSES,
)
async def resolve(
    alert_id: uuid.UUID,
    body: ResolutionIn,
    request: Request,
    principal: Monitor,
    pool: Pool,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Open or acknowledged → resolved with a `note` code; publishes `alert-resolved` with the
    note as its `reason`. An optional `comment` stays in the alerts service (monitors only).
    An alert whose condition still holds stays the one alert of its rule and subject: the
    same condition raises nothing new until it has ended and returned."""
    keeper = _keeper(request)
    return await idempotent_write(
        pool,
        request,
        principal,
        key,
        body,
        200,
        lambda conn: service.resolve(conn, keeper, principal, alert_id, body),
    )


@router.get(
    "/stream",
    summary="Follow the alerts of your jurisdiction live (server-sent events)",
    response_class=EventSourceResponse,
    responses={
        **COMMON_RESPONSES,
        200: {
            "content": {"text/event-stream": {}},
            "description": "one event per alert change: `id` its position, `event` its type, "
            "`data` the alert as it stands after it (JSON)",
        },
    },
)
async def follow(
    request: Request,
    principal: Reader,
    area: AreaQuery = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="the position to start after (a page's)"),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            pattern=r"^[0-9]{1,18}$",
            description="sent by a reconnecting client: resume after this id (wins over after)",
        ),
    ] = None,
) -> EventSourceResponse:
    """Every change of an alert whose area is `area` or under it (`alert-raised`,
    `alert-acknowledged`, `alert-resolved`), in the order they were committed, each once. The
    SSE `id` orders all alert changes: a client that reconnects with `Last-Event-ID` gets every
    change after it, none twice. Without either, the stream starts at the latest change. An idle
    stream gets a comment line every 15 seconds (`ALERTS_STREAM_KEEPALIVE_SECONDS`); a stream
    ends after an hour (`ALERTS_STREAM_LIFETIME_SECONDS`): the client reconnects and its token
    is checked again."""
    within = within_jurisdiction(principal, area)
    limits = limits_of(request)
    if limits is not None:
        limits.spend("stream_connects", f"caller:{principal_key(principal)}")
        # And per address: many tokens from one client must not open streams without bound.
        limits.spend("stream_connects", f"address:{address_of(request)}")
    start = int(last_event_id) if last_event_id is not None else after
    return await open_stream(request, principal, within, start)
