"""The health router: liveness always, readiness names what is down, metrics in Prometheus text."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from shared import health
from shared.health import health_router, kafka_check


async def _ok() -> None:
    return None


async def _down() -> None:
    raise ConnectionRefusedError("postgresql://user:secret@db/pantau refused")


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def _app(**checks) -> FastAPI:
    app = FastAPI()
    app.include_router(health_router(checks))
    return app


async def test_ready_when_every_check_passes() -> None:
    response = await _get(_app(database=_ok, kafka=_ok), "/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "kafka": "ok"}


async def test_unready_names_the_failed_check_without_its_details() -> None:
    app = _app(database=_down, kafka=_ok)
    response = await _get(app, "/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "secret" not in response.text
    assert (await _get(app, "/health/live")).status_code == 200


async def test_a_hanging_check_times_out(monkeypatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.05)

    async def hangs() -> None:
        await asyncio.sleep(10)

    response = await _get(_app(kafka=hangs), "/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["kafka"] == "failed: timed out"


async def test_metrics_are_prometheus_text() -> None:
    import shared.relay  # noqa: F401  (registers the relay's metrics)

    response = await _get(_app(), "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "pantau_outbox_published_total" in response.text


async def test_kafka_check_fails_on_a_closed_port() -> None:
    app = _app(kafka=kafka_check("127.0.0.1:1", timeout=1))
    assert (await _get(app, "/health/ready")).status_code == 503
