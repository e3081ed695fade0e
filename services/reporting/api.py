"""HTTP API of the reporting service: areas, summaries, checksums, watermark, series and CSV
export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any, cast

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel

from services.reporting.checksums import read_checksums
from services.reporting.db import Conn
from services.reporting.disclosure import (
    FigureReader,
    Withheld,
    require_figures,
    sees_gbv_types,
    suppression_note,
    withheld_in_cube,
    withheld_live,
    withhold,
)
from services.reporting.projections.store import LIVE
from services.reporting.series import read_series
from services.reporting.settings import ReportingSettings
from services.reporting.summary import (
    UnknownArea,
    area_name,
    held_by,
    known,
    read_summary,
    read_summary_json,
    watermark,
)
from shared.areas import ancestors, area_level
from shared.auth import CurrentPrincipal, Principal, require_area
from shared.contract.envelope import AREA_CODE
from shared.fields import Day
from shared.service.errors import (
    COMMON_RESPONSES,
    FieldError,
    InvalidFields,
    TooManyRequests,
    Unavailable,
)
from shared.service.limits import limited

router = APIRouter(
    prefix="/v1",
    tags=["reporting"],
    responses={k: COMMON_RESPONSES[k] for k in (401, 403, 422, 429)},
)

AreaCode = Annotated[
    str, Path(pattern=AREA_CODE, description="an area code, or ID", examples=["53"])
]
MONTH = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
# Rebuilding figures from the log reads every topic: rate limited per caller and per address.
ExpensiveReader = Annotated[Principal, Depends(limited("expensive_reads"))]

SUMMARY_DOC = """The figures of an area and of each of its children, read from one snapshot.

`totals` (the same shape for the area and every child; every leaf is a number, and each leaf of
the area equals the sum of that leaf over `children`):

* `workers.<status>.<female|male>` — workers by current status (registered, verified,
  departed, returned); `workers_non_procedural` — the same for non-procedural workers;
* `workers_abroad_by_occupation.<occupation>.<sex>`, `workers_abroad_by_destination.<ISO
  country>.<sex>` — workers currently departed;
* `fees.<illegal|warning>.count`, `fees.<legality>.amount.<currency>`;
  `fees_by_component.<component>.{count, amount.<currency>}` — fees charged;
* `cases.by_category|by_level|by_status|by_gbv_type.<code>.<sex>`, `cases.open.<sex>`;
* `cases_past_deadline` — open cases whose deadline clock is before today;
* `alerts_open.<severity>`, `alerts_open_by_rule.<rule>` — alerts raised and not resolved;
* `agencies.<licensed|suspended|revoked>` — agencies attributed to the area;
* `services.<kind>.<worker|family>.<sex>` — services delivered (by kind, to workers or to
  members of their families, by the beneficiary's sex); `services_by_provider.<provider>.<sex>`
  — the same by who delivered them (village, ltsa, mrc, an office); `people_served.<kind>.<sex>`
  — people who received a kind at least once (these three show the kinds, beneficiaries and
  providers some area of the answer has, like destinations); `children_in_community_parenting.
  <sex>` — children of workers abroad in community parenting, each counted once;
* `departures.all.<sex>`, `departures.prepared.<sex>`, `departures.prepared_by.<kind>.<sex>` —
  departures, those the worker was prepared for by a pre-departure service after the return
  before (if any) and on or before the day of departure, and by which kinds;
* `returns.all.<sex>`, `returns.reintegrated.<sex>`, `returns.reintegrated_by.<kind>.<sex>` —
  returns, those followed within six months by a reintegration programme, and by which kinds.

Shares are never leaves (they would not add up): the share of prepared departures is
`departures.prepared / departures.all`, of reintegrated returns `returns.reintegrated /
returns.all`, worked out from the counts of any area, which do add up (docs/domain.md defines
them).

Facts attributed to an area above village level (an alert about a regency) are counted in a
child named "(not attributed below …)" whose code is zero-padded (`53.71.00.0000`), so parents
stay sums. `watermark.positions` gives, per topic and partition, the next offset to apply;
`last_event_time` the time of the latest event applied.

**Who reads what.** Any role but `operator` (403: it keeps the watermark and the checksums)
inside its jurisdiction (403 outside it). The GBV-type breakdown `cases.by_gbv_type` is case-file
detail: shown in full to `case-worker` and `supervisor` only. For every other role its leaves
are `null` where withheld: at the nation, provinces and regencies a count below k
(`REPORTING_SUPPRESSION_K`, 5), and complements chosen so that no withheld count can be worked
out from the figures beside it (decided over the whole tree, so every answer withholds the same
cells); at districts and villages always. `suppression` then says so (`{"k": 5, "figures":
["cases.by_gbv_type"]}`; `null` when nothing is withheld), and the sums above do not hold for
`null` leaves."""


def _settings(request: Request) -> ReportingSettings:
    settings: ReportingSettings = request.app.state.settings
    return settings


@asynccontextmanager
async def snapshot(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """One REPEATABLE READ read-only transaction: every figure of a response from one instant."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield cast(asyncpg.Connection, conn)


def _refuse_future(day: date, location: str, field: str) -> None:
    """422 for a day that has not ended anywhere yet (UTC): the figures as of the end of a day
    are for past days (today: what is recorded so far)."""
    today = datetime.now(UTC).date()
    if day > today:
        message = f"must not be after today ({today.isoformat()}, UTC): a past day or today"
        raise InvalidFields([FieldError(field, message, "date_in_future", location)])


def _not_found(code: str) -> HTTPException:
    # The code was checked against the area pattern; still, answers never repeat the input.
    return HTTPException(status.HTTP_404_NOT_FOUND, "no such area on this node (see its scope)")


class AreaRef(BaseModel):
    area: str
    name: str
    level: str


class AreaOut(AreaRef):
    """An area and the areas it lies in, the nation first (a page's breadcrumbs)."""

    within: list[AreaRef]


@router.get(
    "/areas/{code}",
    summary="An area's name and level, and the areas it lies in",
    description="`within` lists the enclosing areas from the nation down, with their names "
    '(the "(not attributed below …)" areas included), so a page can name the path to an area. '
    "Area names and codes are public (the official list), so any signed-in caller may ask, "
    "also about an area outside their jurisdiction (a page then says whose figures it may not "
    "show); the figures stay scoped. 404 for an area this node does not hold.",
)
async def area(code: AreaCode, principal: CurrentPrincipal, request: Request) -> AreaOut:
    settings = _settings(request)
    if not held_by(code, settings.scope):
        raise _not_found(code)
    async with snapshot(request) as conn:
        if not await known(conn, code, LIVE):
            raise _not_found(code)

    def ref(c: str) -> AreaRef:
        return AreaRef(area=c, name=area_name(c), level=area_level(c))

    above = reversed(ancestors(code, include_self=False))
    return AreaOut(**ref(code).model_dump(), within=[ref(c) for c in above])


@router.get(
    "/areas/{code}/summary",
    summary="An area's figures and its children's",
    description=SUMMARY_DOC,
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "the summary"}},
)
async def summary(code: AreaCode, principal: FigureReader, request: Request) -> Response:
    # Serialised directly: the body is a large nest of plain numbers, and FastAPI's generic
    # encoder would cost more than reading the figures.
    require_area(principal, code)
    settings = _settings(request)
    async with snapshot(request) as conn:
        try:
            body = await read_summary_json(
                conn,
                code,
                scope=settings.scope,
                consumer=settings.consumer_name,
                withheld=_withheld_of(principal, settings),
            )
        except UnknownArea as exc:
            raise _not_found(code) from exc
    note = json.dumps(suppression_note(principal, settings.suppression_k))
    return Response(f'{body[:-1]},"suppression":{note}}}', media_type="application/json")


def _withheld_of(principal: Principal, settings: ReportingSettings) -> Any:
    """The live withholding for ``principal`` (None: sees every figure)."""
    if sees_gbv_types(principal):
        return None

    async def withheld(conn: Conn, codes: list[str]) -> Withheld:
        return await withheld_live(
            conn, settings.scope, codes, settings.suppression_k, consumer=settings.consumer_name
        )

    return withheld


async def summary_body(code: str, principal: Principal, request: Request) -> dict[str, Any]:
    require_figures(principal)
    require_area(principal, code)
    settings = _settings(request)
    async with snapshot(request) as conn:
        try:
            body = await read_summary(
                conn,
                code,
                scope=settings.scope,
                consumer=settings.consumer_name,
                withheld=_withheld_of(principal, settings),
            )
        except UnknownArea as exc:
            raise _not_found(code) from exc
    body["suppression"] = suppression_note(principal, settings.suppression_k)
    return body


@router.get(
    "/areas/{code}/checksums",
    summary="A checksum of the figures of an area and of each child, over their subtrees",
    description="Each checksum covers every non-zero figure of the area and of every area "
    "below it, villages included; two nodes at the same watermark holding the same events "
    "give equal checksums (`pantau compare`).",
)
async def checksums(
    code: AreaCode, principal: CurrentPrincipal, request: Request
) -> dict[str, Any]:
    require_area(principal, code)
    settings = _settings(request)
    async with snapshot(request) as conn:
        try:
            return await read_checksums(
                conn, code, scope=settings.scope, consumer=settings.consumer_name
            )
        except UnknownArea as exc:
            raise _not_found(code) from exc


@router.get("/watermark", summary="Which events the figures reflect, and this node's scope")
async def get_watermark(principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    settings = _settings(request)
    async with snapshot(request) as conn:
        return await watermark(conn, settings.consumer_name, settings.scope, "projection")


@router.get(
    "/areas/{code}/series",
    summary="Monthly flows of an area",
    description="Per month of the date each event carries (registered_on, departed_on, "
    "returned_on, charged_on, delivered_on, a case's opened_on and closed_on; an alert's time): "
    "registrations, departures, returns and cases opened/closed by sex; fees charged (count, "
    "amount per currency); alerts raised; services delivered by sex; departures prepared "
    "(`departures_prepared`, by the month of the departure) and returns followed by "
    "reintegration (`returns_reintegrated`, by the month of the return), beside `departed` and "
    "`returned` for the shares of a period. Records entered late count in the month they "
    "happened. Kept for regencies, provinces and the nation (a village or district answers no "
    "months).",
)
async def series(
    code: AreaCode,
    principal: FigureReader,
    request: Request,
    from_month: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
    to_month: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
) -> dict[str, Any]:
    require_area(principal, code)
    async with snapshot(request) as conn:
        return {
            "area": code,
            "months": await read_series(conn, code, from_month, to_month),
        }


@router.get(
    "/areas/{code}/export.csv",
    summary="The summary of an area and its children as CSV (one row per area and leaf)",
    description="The rows of the summary (or of `summary/as-of`); a withheld leaf (see the "
    "summary: GBV types for roles other than case-worker and supervisor) has an empty value.",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_csv(
    code: AreaCode,
    principal: FigureReader,
    request: Request,
    as_of: Annotated[
        Day | None,
        Query(description="figures as of this date (rebuilt from the log: rate limited)"),
    ] = None,
) -> Response:
    if as_of is not None:
        _refuse_future(as_of, "query", "as_of")
        # The as-of rebuild is expensive: the same budget as summary/as-of.
        principal = await limited("expensive_reads")(request, principal)
    body = await summary_or_as_of(code, principal, request, as_of)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area", "name", "level", "figure", "value"])
    for node in [body, *body["children"]]:
        for path, value in flatten(node["totals"]):
            writer.writerow([node["area"], node["name"], node["level"], path, value])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="pantau-{code}.csv"'},
    )


async def summary_or_as_of(
    code: str, principal: Any, request: Request, as_of: date | None
) -> dict[str, Any]:
    if as_of is None:
        return await summary_body(code, principal, request)
    return await summary_as_of(code, principal, request, as_of)


@router.get(
    "/areas/{code}/summary/as-of/{day}",
    summary="An area's figures as of the end of a past day, rebuilt from the log",
    description="Reads every topic from the beginning and projects, in memory, the events whose "
    "time is on or before `day` (UTC): the figures as recorded in the system by the end of that "
    "day, not by the dates the events carry (the monthly series). A day after today (UTC) is a "
    "422. Slow on long logs: meant for audits, not dashboards, "
    "and rate limited per caller and per address (`REPORTING_LIMIT_EXPENSIVE_READS`); a node "
    "runs at most `REPORTING_AS_OF_CONCURRENCY` (2) rebuilds at once and answers 429 to more.",
)
async def summary_as_of(
    code: AreaCode, principal: ExpensiveReader, request: Request, day: Day
) -> dict[str, Any]:
    from services.reporting.as_of import rebuild_cube, summary_from_cube

    require_figures(principal)
    _refuse_future(day, "path", "day")
    require_area(principal, code)
    settings = _settings(request)
    async with rebuild_slot(request, settings):
        try:
            cube = await rebuild_cube(settings, day)
        except KafkaError as exc:
            raise Unavailable("the event log cannot be read now; retry later") from exc
    try:
        body = summary_from_cube(cube, code, settings.scope, day)
    except UnknownArea as exc:
        raise _not_found(code) from exc
    if not sees_gbv_types(principal):
        answer = [code, *(c["area"] for c in body["children"])]
        withhold(body, withheld_in_cube(cube, settings.scope, answer, settings.suppression_k))
    body["suppression"] = suppression_note(principal, settings.suppression_k)
    return body


# Seconds a refused rebuild is told to wait: a rebuild of a long log takes minutes.
REBUILD_RETRY_AFTER = 30


@asynccontextmanager
async def rebuild_slot(request: Request, settings: ReportingSettings) -> AsyncIterator[None]:
    """One of the process's ``as_of_concurrency`` rebuild slots, or 429 when all are taken:
    per-caller budgets alone would let many callers (or addresses) rebuild at once."""
    gate: asyncio.Semaphore | None = getattr(request.app.state, "as_of_gate", None)
    if gate is None:
        gate = request.app.state.as_of_gate = asyncio.Semaphore(settings.as_of_concurrency)
    if gate.locked():
        raise TooManyRequests(
            "this node is rebuilding as many as-of figures as it runs at once; retry later",
            retry_after=REBUILD_RETRY_AFTER,
        )
    async with gate:
        yield


def flatten(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            rows.extend(flatten(value, path))
        else:
            rows.append((path, value))
    return rows
