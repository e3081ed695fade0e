"""``pantau simulate`` with the cases service: complaints about the simulated workers go through
the cases API once their registrations have reached its replica over the broker, and every
write is accepted (the plans are valid requests in a valid order)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from pantau.simulate import simulate
from services.cases.settings import CasesSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.auth import issue_token
from tests.support.cases import cases_client

pytestmark = pytest.mark.integration


async def test_simulated_complaints_and_reports_are_recorded_through_the_cases_api(
    make_database, service_settings
):
    registry = create_registry(
        service_settings(RegistrySettings, database_url=await make_database("services.registry"))
    )
    cases = service_settings(
        CasesSettings, database_url=await make_database("services.cases"), rate_limits_enabled=False
    )
    async with registry.router.lifespan_context(registry), cases_client(cases) as (app, _):
        result = await simulate(
            "http://registry",
            issue_token("ministry", "ID"),
            workers=120,
            seed=11,
            transport=httpx.ASGITransport(app=registry),
            cases_url="http://cases",
            tokens=lambda role, area: issue_token(role, area),
            cases_transport=httpx.ASGITransport(app=app),
        )
    assert result.aborted is None
    counts = result.cases
    assert counts is not None and counts.skipped is None
    assert not [name for name in result.refused if name.startswith(("case", "report"))]
    assert counts.opened >= 8 and counts.unregistered >= 1 and counts.reports >= 1
    assert counts.escalations >= 1 and sum(counts.closed.values()) >= 1
    assert sum(counts.triaged.values()) == counts.reports
    conn = await asyncpg.connect(cases.database_url)
    try:
        rows = await conn.fetch("SELECT channel, verified, opened_on FROM cases")
        worker_cases = await conn.fetchval("SELECT count(*) FROM cases WHERE worker_id IS NOT NULL")
    finally:
        await conn.close()
    assert len(rows) == counts.opened + counts.reports
    assert worker_cases >= counts.opened - counts.unregistered
    assert len({r["opened_on"].year for r in rows}) >= 2, "spread over the workers' years"
    summary = "\n".join(result.summary("http://registry"))
    assert "cases" in summary and "reports" in summary
