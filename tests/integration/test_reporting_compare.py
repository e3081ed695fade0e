"""`pantau compare`: a national and a province node agree on the province; a figure changed
anywhere below the top, even in one village alone, is found from the top and named."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.reporting.app import create_app
from services.reporting.compare import CompareError, Fetch, compare_with
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import random_stream

pytestmark = pytest.mark.integration


def fetcher(client: httpx.AsyncClient) -> Fetch:
    async def fetch(url: str) -> dict:
        response = await client.get(url)
        response.raise_for_status()
        return response.json()

    return fetch


async def workers_key(pool: asyncpg.Pool, area: str) -> int:
    """A workers figure key with a count in ``area``."""
    key = await pool.fetchval(
        "SELECT min(key) FROM projection.cube AS c JOIN figure_keys AS k ON k.id = c.key"
        " WHERE c.area = area_id($1) AND k.metric = 'workers' AND c.n > 0",
        area,
    )
    assert key is not None
    return int(key)


async def test_compare_names_the_first_area_that_differs(make_database) -> None:
    dsns = [await make_database("services.reporting") for _ in range(2)]
    pools = [await asyncpg.create_pool(d, min_size=1, max_size=3) for d in dsns]
    scopes = ["ID", "53"]
    events = random_stream(1_200, seed=41)
    headers = {"Authorization": f"Bearer {issue_token('ministry', 'ID')}"}
    try:
        for i in range(0, len(events), 300):
            for dsn, pool, scope in zip(dsns, pools, scopes, strict=True):
                await consume(pool, ProjectionHandler(dsn, scope), events[i : i + 300])
        clients = []
        for dsn, pool, scope in zip(dsns, pools, scopes, strict=True):
            app = create_app(ReportingSettings(database_url=dsn, scope=scope))
            app.state.pool = pool  # served without the lifespan: no consumer, fixed figures
            clients.append(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://n", headers=headers
                )
            )
        a, b = (fetcher(c) for c in clients)
        same = await compare_with(a, b, None)
        assert same.area == "53" and same.agree, same.describe()

        village = await pools[1].fetchval(
            "SELECT area FROM projection.figures WHERE metric = 'workers' AND n > 0"
            " AND area LIKE '53.%.%.%' AND area NOT LIKE '%.0000' ORDER BY area LIMIT 1"
        )
        key = await workers_key(pools[1], village)
        # One village's figure changed by hand on the province node, its ancestors untouched:
        # every area above agrees row by row, only the subtree checksums can see it.
        await pools[1].execute(
            "UPDATE projection.cube SET n = n + 1 WHERE area = area_id($1) AND key = $2",
            village,
            key,
        )
        differs = await compare_with(a, b, None)
        assert not differs.agree
        assert differs.first_difference == village, differs.describe()
        assert differs.path == ["53", village[:5], village[:8], village]
        await pools[1].execute(
            "UPDATE projection.cube SET n = n - 1 WHERE area = area_id($1) AND key = $2",
            village,
            key,
        )
        assert (await compare_with(a, b, None)).agree

        # A worker counted in another village of the same district: the district, regency and
        # province rows are all equal on both nodes; the first village that differs is named.
        origin, neighbour = "53.71.01.1001", "53.71.01.1002"  # both in the stream
        key = await workers_key(pools[1], origin)
        await pools[1].execute(
            "UPDATE projection.cube SET n = n - 1 WHERE area = area_id($1) AND key = $2",
            origin,
            key,
        )
        await pools[1].execute(
            "INSERT INTO projection.cube (area, key, n) VALUES (area_id($1), $2, 1)"
            " ON CONFLICT (area, key) DO UPDATE SET n = projection.cube.n + 1",
            neighbour,
            key,
        )
        moved = await compare_with(a, b, None)
        assert moved.first_difference == origin, moved.describe()
        assert moved.path == ["53", "53.71", "53.71.01", origin]

        # An area outside the province node's scope is a clear error, not an HTTP traceback.
        with pytest.raises(CompareError, match=r"area 11 is outside node B's scope \(53\)"):
            await compare_with(a, b, "11")
        for c in clients:
            await c.aclose()
    finally:
        for pool in pools:
            await pool.close()
