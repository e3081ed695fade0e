"""``pantau simulate`` trips every alert rule: its traffic, through the registry's and the cases'
APIs, raises alerts of all ten rules about the run's own workers, agencies, cases and villages
(the alerts service reads everything on the topics; the other tests' subjects are left out)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from pantau.simulate import simulate
from pantau.simulate_cases import CLUSTER, MAX_CLUSTER
from services.alerts.clock import SystemClock
from services.cases.settings import CasesSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.auth import issue_token
from shared.contract.codes import AlertRule
from tests.support.alerts import alerts_settings, running_alerts
from tests.support.cases import cases_client
from tests.support.messaging import wait_until

pytestmark = pytest.mark.integration


async def _column(dsn: str, sql: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {str(value) for (value,) in await conn.fetch(sql)}
    finally:
        await conn.close()


async def test_a_simulated_run_raises_alerts_of_every_rule(
    make_database, service_settings, kafka_bootstrap
):
    registry_dsn = await make_database("services.registry")
    registry = create_registry(service_settings(RegistrySettings, database_url=registry_dsn))
    cases = service_settings(
        CasesSettings, database_url=await make_database("services.cases"), rate_limits_enabled=False
    )
    alerts_dsn = await make_database("services.alerts")
    # A case waits 72 hours for a case worker before it is an alert; here, a second.
    settings = alerts_settings(service_settings, alerts_dsn, case_unassigned_hours=0.0003)
    async with (
        registry.router.lifespan_context(registry),
        cases_client(cases) as (app, _),
        running_alerts(settings, SystemClock()),
    ):
        result = await simulate(
            "http://registry",
            issue_token("ministry", "ID"),
            workers=300,
            seed=19,
            transport=httpx.ASGITransport(app=registry),
            cases_url="http://cases",
            tokens=lambda role, area: issue_token(role, area),
            cases_transport=httpx.ASGITransport(app=app),
        )
        assert result.aborted is None and result.unlicensed_fees >= 1
        # As many complaints as the village needs to stand out (village_surge), all opened.
        assert result.cases is not None and CLUSTER <= result.cases.cluster <= MAX_CLUSTER

        subjects = (
            await _column(registry_dsn, "SELECT id FROM workers")
            | await _column(registry_dsn, "SELECT id FROM agencies")
            | await _column(cases.database_url, "SELECT id FROM cases")
            | await _column(cases.database_url, "SELECT area FROM cases")
        )
        seen: dict[str, Any] = {}

        async def every_rule() -> bool:
            conn = await asyncpg.connect(alerts_dsn)
            try:
                rows = await conn.fetch(
                    "SELECT rule, count(*) AS n FROM alerts WHERE about = ANY($1) GROUP BY rule",
                    list(subjects),
                )
            finally:
                await conn.close()
            seen.update({r["rule"]: r["n"] for r in rows})
            return set(seen) == set(AlertRule)

        try:
            await wait_until(every_rule, within=90)
        except AssertionError:
            raise AssertionError(f"alerts by rule: {seen}") from None
