"""``pantau simulate`` against the real registry (real PostgreSQL): lost connections and lost
answers are retried under the same Idempotency-Key and nothing is written twice; the traffic is
history (years of registrations, non-procedural workers, illegal and late-recorded fees)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from pantau.local.procs import free_port
from pantau.simulate import simulate
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.auth import issue_token
from tests.support.database import connection, fresh_database
from tests.support.registry import offline_settings
from tests.support.tcp_proxy import TcpProxy

ROOT = Path(__file__).parents[2]


def _settings(dsn: str) -> RegistrySettings:
    return offline_settings(dsn, log_level="WARNING")


dsn = fresh_database("services.registry", scope="function")
db = connection()


class Lossy(httpx.AsyncBaseTransport):
    """Every 5th request never arrives (connection refused); every 7th arrives and is written,
    but its answer is lost (connection reset)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent = 0
        self.lost_answers = 0
        self.lost_keys: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent % 5 == 0:
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if self.sent % 7 == 0:
            await response.aread()
            self.lost_answers += 1
            self.lost_keys.add(request.headers["Idempotency-Key"])
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


async def _tables(db: asyncpg.Connection) -> dict[str, int]:
    tables = ("workers", "departures", "fees", "agencies", "outbox", "idempotency_keys")
    return {t: int(await db.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}


async def test_lost_connections_and_answers_write_nothing_twice(dsn, db):
    app = create_app(_settings(dsn))

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    async with app.router.lifespan_context(app):
        lossy = Lossy(httpx.ASGITransport(app=app))
        result = await simulate(
            "http://registry",
            issue_token("ministry", "ID"),
            workers=60,
            concurrency=4,
            seed=20261206,
            years=5,
            transport=lossy,
            sleep=no_wait,
        )
    assert result.aborted is None and not result.refused, result.summary("registry")
    assert result.finished == 60 and lossy.lost_answers > 5
    assert result.retries >= lossy.lost_answers
    # Each write whose answer was lost (once or more) was answered in the end by a replay.
    assert result.replayed == len(lossy.lost_keys)

    done = result.done
    counts = await _tables(db)
    assert counts["workers"] == done["register"] == 60
    assert counts["departures"] == done["depart"]
    assert counts["fees"] == done["fee"] == result.fees["illegal"] + result.fees["warning"]
    assert counts["agencies"] == done["agency"] == 5
    writes = ("register", "verify", "depart", "return", "fee", "suspend")
    events = sum(done[name] for name in writes)
    assert counts["outbox"] - done["agency"] == events  # one event per write, none twice
    assert counts["idempotency_keys"] == result.total

    # History, not today: registrations over years, reported-abroad workers, both legalities.
    years = await db.fetch("SELECT DISTINCT extract(year FROM registered_on) AS y FROM workers")
    assert len(years) >= 3
    non_procedural = await db.fetchval("SELECT count(*) FROM workers WHERE NOT procedural")
    assert non_procedural == result.non_procedural > 0
    legality = dict(await db.fetch("SELECT legality, count(*) FROM fees GROUP BY legality"))
    assert legality.get("illegal", 0) > 0 and legality.get("warning", 0) > 0
    # Recorded late: charged before a placement that was recorded first.
    late = await db.fetchval(
        "SELECT count(DISTINCT f.id) FROM fees f JOIN departures d USING (worker_id)"
        " WHERE f.charged_on < d.departed_on AND f.recorded_at > d.recorded_at"
    )
    assert late >= result.late_fees > 0


async def test_services_are_recorded_by_the_officers_of_villages_and_centres(dsn, db):
    app = create_app(_settings(dsn))
    async with app.router.lifespan_context(app):
        result = await simulate(
            "http://registry",
            issue_token("ministry", "ID"),
            workers=150,
            concurrency=4,
            seed=20261207,
            years=5,
            transport=httpx.ASGITransport(app=app),
            tokens=lambda role, area: issue_token(role, area),
        )
    assert result.aborted is None and not result.refused, result.summary("registry")
    services = result.services
    assert services is not None and services.skipped is None
    delivered = sum(services.deliveries.values())
    assert delivered == await db.fetchval("SELECT count(*) FROM services") > 100
    assert services.sessions == await db.fetchval("SELECT count(*) FROM service_sessions") > 10
    in_sessions = await db.fetchval("SELECT count(*) FROM services WHERE session_id IS NOT NULL")
    assert in_sessions == services.in_sessions
    assert services.to_family == await db.fetchval(
        "SELECT count(*) FROM services WHERE family_member_id IS NOT NULL"
    )
    providers = dict(await db.fetch("SELECT provider, count(*) FROM services GROUP BY 1"))
    assert providers.keys() >= {"village", "ltsa"}
    kinds = {r["kind"] for r in await db.fetch("SELECT DISTINCT kind FROM services")}
    assert len(kinds) >= 8
    # One event per delivery, each on its worker's stream.
    events = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8')::jsonb ->> 'type'"
        " = 'service-delivered'"
    )
    assert events == delivered
    assert "services" in "\n".join(result.summary("registry"))


async def test_the_command_survives_a_registry_outage(dsn, db):
    """``pantau simulate`` as a user runs it, while the registry's address drops every
    connection for a moment."""
    app = create_app(_settings(dsn))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    proxy = await TcpProxy("127.0.0.1", port).start()
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no started event
            await asyncio.sleep(0.05)
        command = [sys.executable, "-m", "pantau.cli", "simulate", "--workers", "150"]
        command += ["--concurrency", "4", "--seed", "5", "--years", "3"]
        command += ["--registry-url", f"http://{proxy.address}"]
        # No cases service for this run, whatever else listens on the machine's default ports.
        command += ["--cases-url", f"http://127.0.0.1:{free_port()}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        while await db.fetchval("SELECT count(*) FROM workers") < 10:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await proxy.pause()
        await asyncio.sleep(1.5)
        proxy.resume()
        out, err = await asyncio.wait_for(run.communicate(), timeout=300)
    finally:
        await proxy.stop()
        server.should_exit = True
        await serving
    stdout, stderr = out.decode(), err.decode()
    assert run.returncode == 0, stderr + stdout
    assert "Traceback" not in stderr
    assert "simulate: 150/150 workers (100%)" in stderr
    assert "simulated 150 of 150 workers registered over " in stdout
    numbers = _summary_numbers(stdout)
    assert numbers["retried"] > 0 and numbers["refused"] == 0, stdout
    assert numbers["registered"] == await db.fetchval("SELECT count(*) FROM workers") == 150
    assert numbers["fees"] == await db.fetchval("SELECT count(*) FROM fees")


def _summary_numbers(stdout: str) -> dict[str, Any]:
    found = {
        name: int(re.search(rf"^\s+{name}\s+(\d+)", stdout, re.M).group(1))  # type: ignore[union-attr]
        for name in ("registered", "fees", "calls")
    }
    found["retried"] = int(re.search(r"(\d+) retried", stdout).group(1))  # type: ignore[union-attr]
    found["refused"] = int(re.search(r"(\d+) refused\)", stdout).group(1))  # type: ignore[union-attr]
    return found
