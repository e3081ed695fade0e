"""Who reads which figures (services/reporting/disclosure.py): the GBV-type breakdown is shown in
full to case workers and supervisors only; every other role gets its small cells withheld so
that none can be worked out from the figures beside it; an operator reads no figures at all, yet
`pantau compare` (watermark and checksums) works with its token. As-of rebuilds are capped per
process."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.reporting.app import create_app
from services.reporting.compare import compare_with
from services.reporting.disclosure import GBV_PATHS, withheld_in_cube
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from services.reporting.suppression import Equation, determined
from shared.auth import issue_token
from tests.integration.test_reporting_compare import fetcher
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import Log
from tests.unit.reporting.test_delta import apply_all

pytestmark = pytest.mark.integration

VILLAGE = "53.71.01.1001"  # one rape case
NEIGHBOUR = "53.71.01.1002"  # six physical-assault cases: not small at the village
OTHER_REGENCY_VILLAGE = "53.01.01.2001"  # seven physical-assault cases


def auth(role: str, area: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area)}"}


def events() -> list[Any]:
    log = Log()
    out = [log.case(VILLAGE, sex="female", category="employer_violence", gbv_type="rape")[1]]
    out += [log.case(NEIGHBOUR, gbv_type="physical_assault")[1] for _ in range(6)]
    out += [log.case(OTHER_REGENCY_VILLAGE, gbv_type="physical_assault")[1] for _ in range(7)]
    out += [log.case(VILLAGE, category="unpaid_wages")[1] for _ in range(3)]
    return out


@pytest_asyncio.fixture
async def node(make_database) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=3)
    try:
        await consume(pool, ProjectionHandler(dsn, "ID"), events())
        app = create_app(ReportingSettings(database_url=dsn))
        app.state.pool = pool  # served without the lifespan: no consumer, fixed figures
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            yield client, app
    finally:
        await pool.close()


def gbv(totals: dict[str, Any], path: str) -> Any:
    node: Any = totals
    for part in path.split("/"):
        node = node[part]
    return node


def assert_nothing_recoverable(body: dict[str, Any], k: int = 5) -> None:
    """No GBV cell of the answer is shown below k, and no withheld one is fixed by the answer's
    sums (the area = the sum of its children, per path)."""
    nodes = [body, *body["children"]]
    hidden = set()
    for node in nodes:
        for path in GBV_PATHS:
            value = gbv(node["totals"], path)
            if value is None:
                hidden.add((node["area"], path))
            else:
                assert value == 0 or value >= k, (node["area"], path, value)
    if body["children"]:
        equations = [
            Equation(((body["area"], p),), tuple((c["area"], p) for c in body["children"]))
            for p in GBV_PATHS
        ]
        assert determined(equations, hidden) == set()


async def test_a_village_officer_sees_no_recoverable_gbv_type_and_a_supervisor_sees_it(node):
    client, _ = node
    answers = [
        (VILLAGE, auth("village-officer", VILLAGE)),
        ("53.71.01", auth("regency-officer", "53.71")),
        ("53.71", auth("regency-officer", "53.71")),
        ("53", auth("province-officer", "53")),
        ("ID", auth("ministry", "ID")),
        ("53.71", auth("monitor", "53.71")),
    ]
    for code, headers in answers:
        response = await client.get(f"/v1/areas/{code}/summary", headers=headers)
        assert response.status_code == 200, (code, response.text)
        body = response.json()
        assert body["suppression"] == {"k": 5, "figures": ["cases.by_gbv_type"]}
        assert_nothing_recoverable(body)
        # The case's other figures are not case-file detail: they stay.
        if code == VILLAGE:
            assert body["totals"]["cases"]["by_gbv_type"]["rape"]["female"] is None
            assert body["totals"]["cases"]["by_category"]["unpaid_wages"]["female"] == 3

    # The regency's one rape case is withheld at every level; the province's 13 physical
    # assaults (6 + 7) are shown, and so are its regencies' (6 and 7: not small).
    province = (await client.get("/v1/areas/53/summary", headers=auth("ministry", "ID"))).json()
    assert gbv(province["totals"], "cases/by_gbv_type/physical_assault/female") == 13
    kids = {c["area"]: c["totals"] for c in province["children"]}
    assert gbv(kids["53.71"], "cases/by_gbv_type/physical_assault/female") == 6
    assert gbv(kids["53.71"], "cases/by_gbv_type/rape/female") is None

    # The CSV says the same: an empty value, never 0 or 1.
    officer = auth("village-officer", VILLAGE)
    text = (await client.get(f"/v1/areas/{VILLAGE}/export.csv", headers=officer)).text
    rows = {r["figure"]: r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert rows["cases.by_gbv_type.rape.female"] == ""

    for role in ("supervisor", "case-worker"):
        body = (
            await client.get(f"/v1/areas/{VILLAGE}/summary", headers=auth(role, "53.71"))
        ).json()
        assert body["suppression"] is None
        assert body["totals"]["cases"]["by_gbv_type"]["rape"]["female"] == 1


def test_an_as_of_rebuild_withholds_the_same_cells_as_the_live_views() -> None:
    cube, _ = apply_all([events()])
    answer = ["53", "53.01", "53.71", "53.72"]
    withheld = withheld_in_cube(cube, "ID", answer, 5)
    assert "cases/by_gbv_type/rape/female" in withheld["53"]
    assert "cases/by_gbv_type/rape/female" in withheld["53.71"]
    assert "cases/by_gbv_type/physical_assault/female" not in withheld["53.71"]
    assert "cases/by_gbv_type/physical_assault/female" not in withheld["53"]
    village = withheld_in_cube(cube, "ID", [NEIGHBOUR], 5)
    assert village[NEIGHBOUR] == set(GBV_PATHS)  # below the regency: always withheld


async def test_an_operator_reads_no_figures_but_compare_works(node):
    client, _ = node
    operator = auth("operator", "ID")
    for url in (
        "/v1/areas/53/summary",
        "/v1/areas/53/export.csv",
        "/v1/areas/53/export.csv?as_of=2026-03-01",
        "/v1/areas/53/series",
        "/v1/areas/53/summary/as-of/2026-03-01",
    ):
        response = await client.get(url, headers=operator)
        assert response.status_code == 403, url
    assert (await client.get("/v1/watermark", headers=operator)).status_code == 200
    assert (await client.get("/v1/areas/53", headers=operator)).status_code == 200
    client.headers.update(operator)
    same = await compare_with(fetcher(client), fetcher(client), "53")
    assert same.agree, same.describe()


async def test_as_of_rebuilds_beyond_the_process_cap_are_refused(node):
    client, app = node
    gate = asyncio.Semaphore(1)
    app.state.as_of_gate = gate
    await gate.acquire()  # one rebuild running: the cap (here 1) is reached
    try:
        for url in (
            "/v1/areas/53/summary/as-of/2026-03-01",
            "/v1/areas/53/export.csv?as_of=2026-03-01",
        ):
            response = await client.get(url, headers=auth("ministry", "ID"))
            assert response.status_code == 429, url
            assert int(response.headers["Retry-After"]) >= 1
    finally:
        gate.release()


async def test_the_decision_follows_the_consumer_positions(node):
    """Withholding decided at some stored positions is decided again once they move on."""
    client, app = node
    pool = app.state.pool
    dsn = app.state.settings.database_url
    mark = (
        "INSERT INTO consumer_positions (consumer, topic, partition, next_offset)"
        " VALUES ('reporting', 'cases.case.v1', 0, $1)"
        " ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset"
    )
    ministry = auth("ministry", "ID")
    async with pool.acquire() as conn:
        await conn.execute(mark, 17)
    before = (await client.get("/v1/areas/53.71/summary", headers=ministry)).json()
    assert gbv(before["totals"], "cases/by_gbv_type/rape/female") is None  # one case: small

    log = Log()
    more = [log.case(NEIGHBOUR, sex="female", gbv_type="rape")[1] for _ in range(5)]
    await consume(pool, ProjectionHandler(dsn, "ID"), more)
    async with pool.acquire() as conn:
        await conn.execute(mark, 22)
    after = (await client.get("/v1/areas/53.71/summary", headers=ministry)).json()
    assert gbv(after["totals"], "cases/by_gbv_type/rape/female") == 6
