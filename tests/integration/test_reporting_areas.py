"""``GET /v1/areas/{code}``: an area's name and level and the areas it lies in (a page's
breadcrumbs), for any signed-in caller since area names are public; 404 for what the node does
not hold; never the caller's input in an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.reporting.app import create_app
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import Log

pytestmark = pytest.mark.integration


def auth(role: str, area: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area)}"}


@pytest_asyncio.fixture(loop_scope="session")
async def node(make_database) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A national node and a province node (scope 53) over a database holding an alert about
    the regency 53.71 (so its "(not attributed below …)" area exists)."""
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    _, raised = Log().alert("53.71", severity="critical", rule="village_surge")
    await consume(pool, ProjectionHandler(dsn), [raised])
    clients = []
    for scope in ("ID", "53"):
        app = create_app(ReportingSettings(database_url=dsn, scope=scope))
        app.state.pool = pool
        clients.append(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://reporting-{scope}"
            )
        )
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()
        await pool.close()


async def test_an_area_names_the_areas_it_lies_in(node) -> None:
    national, _ = node
    answer = await national.get("/v1/areas/53.71.01.1001", headers=auth("ministry", "ID"))
    assert answer.status_code == 200
    assert answer.json() == {
        "area": "53.71.01.1001",
        "name": "Namosain",
        "level": "village",
        "within": [
            {"area": "ID", "name": "INDONESIA", "level": "national"},
            {"area": "53", "name": "NUSA TENGGARA TIMUR", "level": "province"},
            {"area": "53.71", "name": "KOTA KUPANG", "level": "regency"},
            {"area": "53.71.01", "name": "Alak", "level": "district"},
        ],
    }
    nation = (await national.get("/v1/areas/ID", headers=auth("ministry", "ID"))).json()
    assert nation == {"area": "ID", "name": "INDONESIA", "level": "national", "within": []}


async def test_names_are_public_to_anyone_signed_in_figures_are_not(node) -> None:
    national, _ = node
    officer = auth("village-officer", "53.71.01.1001")
    answer = await national.get("/v1/areas/32.01", headers=officer)
    assert answer.status_code == 200 and answer.json()["name"] == "KABUPATEN BOGOR"
    assert (await national.get("/v1/areas/32.01/summary", headers=officer)).status_code == 403
    assert (await national.get("/v1/areas/32.01")).status_code == 401


async def test_an_area_not_attributed_below_its_parent(node) -> None:
    national, _ = node
    ministry = auth("ministry", "ID")
    answer = (await national.get("/v1/areas/53.71.00.0000", headers=ministry)).json()
    assert answer["name"] == "(not attributed below KOTA KUPANG)"
    assert [a["area"] for a in answer["within"]] == ["ID", "53", "53.71", "53.71.00"]
    # A padded code no fact was ever attributed to is no area of this node.
    assert (await national.get("/v1/areas/53.01.00.0000", headers=ministry)).status_code == 404


async def test_what_a_node_does_not_hold_is_404_without_echoing(node) -> None:
    national, province = node
    ministry = auth("ministry", "ID")
    assert (await province.get("/v1/areas/53.71", headers=ministry)).status_code == 200
    assert (await province.get("/v1/areas/ID", headers=ministry)).status_code == 200
    outside = await province.get("/v1/areas/32.01", headers=ministry)
    assert outside.status_code == 404 and "32.01" not in outside.text
    unknown = await national.get("/v1/areas/99.99", headers=ministry)
    assert unknown.status_code == 404 and "99.99" not in unknown.text
    bad = await national.get("/v1/areas/3201123456789012", headers=ministry)
    assert bad.status_code == 422 and "3201123456789012" not in bad.text
