"""`pantau replay reporting`: the views are rebuilt from the topics beside the live ones and
swapped in while the service keeps consuming and answering."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import asyncpg
import httpx
import pytest

from services.reporting.app import create_app
from services.reporting.as_of import summary_as_of
from services.reporting.replay import replay
from services.reporting.settings import ReportingSettings
from tests.integration.test_reporting_api import auth, caught_up, publish
from tests.unit.reporting.events import random_stream

pytestmark = pytest.mark.integration


async def test_replay_rebuilds_and_swaps_while_live(make_database, service_settings) -> None:
    dsn = await make_database("services.reporting")
    settings = service_settings(
        ReportingSettings,
        database_url=dsn,
        consumer_name=f"reporting-{uuid.uuid4().hex[:8]}",
        publish_enabled=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
            sent = await publish(settings, random_stream(800, seed=61))
            await caught_up(client, sent)
            # Damage the live views, as a projection bug would.
            conn = await asyncpg.connect(dsn)
            await conn.execute("UPDATE projection.cube SET n = n + 7 WHERE area = area_id('53')")
            await conn.execute("UPDATE projection.cells SET v = v + 7 WHERE area = area_id('53')")
            await conn.close()

            reads = 0
            stop = asyncio.Event()

            async def keep_reading() -> None:
                nonlocal reads
                while not stop.is_set():
                    r = await client.get("/v1/areas/53/summary", headers=auth("ministry", "ID"))
                    assert r.status_code == 200
                    reads += 1
                    await asyncio.sleep(0.05)

            reader = asyncio.create_task(keep_reading())
            more = asyncio.create_task(publish(settings, random_stream(400, seed=62)))
            seen: list[tuple[int, int]] = []
            result = await replay(
                settings, lambda done, total: seen.append((done, total)), processes=2
            )
            later = await more
            stop.set()
            await reader
            assert result.events > 0 and seen and reads > 0

            await caught_up(client, later)
            # A supervisor reads every figure (the GBV types included), as the rebuild has them.
            supervisor = auth("supervisor", "ID")
            live = (await client.get("/v1/areas/53/summary", headers=supervisor)).json()
            rebuilt = await summary_as_of(settings, "53", date.today())
            assert live["totals"] == rebuilt["totals"]
            assert live["children"] == rebuilt["children"]
            conn = await asyncpg.connect(dsn)
            schemas = {r[0] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
            await conn.close()
            assert "projection_shadow" not in schemas and "projection_old" not in schemas
