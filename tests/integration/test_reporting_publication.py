"""Publication to agencies: area-summary-updated events in the outbox, with small cells withheld
so that no withheld value can be recovered from the published ones."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from services.reporting.projections.handler import ProjectionHandler
from services.reporting.publisher import publish_once, tree_values
from services.reporting.settings import ReportingSettings
from services.reporting.suppression import area_equations, determined, tree_equations
from shared.areas import parent
from shared.contract.envelope import Envelope
from shared.contract.events import AreaSummaryUpdated, parse_data
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import random_stream

pytestmark = pytest.mark.integration


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flat(value, path))
        else:
            out[path] = value
    return out


async def test_published_summaries_withhold_small_cells_beyond_recovery(make_database) -> None:
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    settings = ReportingSettings(database_url=dsn, suppression_k=5)
    try:
        events = random_stream(3_000, seed=31)
        for i in range(0, len(events), 500):
            await consume(pool, ProjectionHandler(dsn), events[i : i + 500])
        async with pool.acquire() as conn:
            count = await publish_once(conn, settings)
            assert count > 3
            assert await publish_once(conn, settings) == 0  # nothing dirty any more
            rows = await conn.fetch(
                "SELECT topic, key, payload FROM outbox WHERE event_type = 'area-summary-updated'"
            )
            truth = await tree_values(conn, [r["key"] for r in rows], date.today())
        assert {r["topic"] for r in rows} == {"reporting.area-summary.v1"}
        published: dict[str, dict[str, Any]] = {}
        for r in rows:
            env = Envelope.model_validate_json(bytes(r["payload"]))
            data = parse_data(env)
            assert isinstance(data, AreaSummaryUpdated)
            assert env.subject == env.area == r["key"]
            assert data.k == 5 and data.watermark["events_applied"] > 0
            published[env.area] = flat(data.totals)
        assert {"ID", "53", "32", "53.71"} <= set(published)

        leaves = [(a, p) for a, t in published.items() for p in t]
        hidden = {(a, p) for a, p in leaves if published[a][p] is None}
        shown = {(a, p): Decimal(str(published[a][p])) for a, p in leaves if (a, p) not in hidden}
        assert hidden, "the sample has small cells"
        # No published count is below k (zero aside), agencies' licence counts aside.
        for (_a, p), v in shown.items():
            if not p.startswith("agencies/") and "/amount/" not in p:
                assert v == 0 or v >= 5, p
        # Every equation an agency could write over what it received leaves nothing pinned.
        paths = sorted({p for _, p in leaves})
        children: dict[str, list[str]] = {a: [] for a in published}
        for a in published:
            up = parent(a)
            if up in children:
                children[up].append(a)
        eqs = tree_equations(children, paths)
        for a in published:
            eqs += area_equations(a, paths)
        # (A withheld zero may be pinned: it says nobody is there, as a published zero would.)
        pinned = determined(eqs, hidden)
        assert {(a, p) for a, p in pinned if truth[a].get(p, 0) != 0} == set()
        # Events carry codes and counts only: no personal-data field names anywhere.
        text = json.dumps([bytes(r["payload"]).decode() for r in rows]).lower()
        for word in ("nik", "name_of", "birth", "phone", "address", "narrative"):
            assert word not in text
    finally:
        await pool.close()
