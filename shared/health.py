"""Health and metrics endpoints every service mounts: liveness, readiness, Prometheus text.

Usage in a service's app factory::

    app.include_router(health_router({
        "database": database_check(pool),
        "kafka": kafka_check(settings.kafka_bootstrap_servers),
    }))

A check is an argument-less coroutine function that returns when the dependency is usable and
raises otherwise; readiness runs all of them concurrently, each with a short timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import asyncpg
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

Check = Callable[[], Awaitable[None]]

CHECK_TIMEOUT_SECONDS = 3.0


def health_router(checks: Mapping[str, Check]) -> APIRouter:
    """GET /health/live, /health/ready (503 naming the failed checks) and /metrics."""
    router = APIRouter(tags=["health"])
    named = dict(checks)

    @router.get("/health/live", summary="The process is running")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="Every dependency (database, broker) is reachable",
        responses={503: {"description": "a dependency is unavailable; the body names it"}},
    )
    async def ready() -> JSONResponse:
        outcomes = await asyncio.gather(*(_run(check) for check in named.values()))
        results = dict(zip(named, outcomes, strict=True))
        failed = sorted(name for name, outcome in results.items() if outcome != "ok")
        body = {
            "status": "unavailable" if failed else "ok",
            "failed": failed,
            "checks": results,
        }
        return JSONResponse(body, status_code=503 if failed else 200)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


async def _run(check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "failed: timed out"
    except Exception as exc:
        # The type is enough to act on; messages may carry addresses or other details.
        return f"failed: {type(exc).__name__}"
    return "ok"


def database_check(pool: asyncpg.Pool, *, timeout: float = 2.0) -> Check:
    """A check that borrows a connection from ``pool`` and runs ``SELECT 1``."""

    async def check() -> None:
        async with pool.acquire(timeout=timeout) as conn:
            await conn.fetchval("SELECT 1", timeout=timeout)

    return check


def kafka_check(bootstrap: str, *, timeout: float = 2.0) -> Check:
    """A check that connects to the broker and fetches cluster metadata."""

    async def check() -> None:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout * 1000),
            client_id="pantau-health",
        )
        try:
            await asyncio.wait_for(client.bootstrap(), timeout)
            if not client.cluster.brokers():
                raise ConnectionError("broker returned no metadata")
        finally:
            await client.close()

    return check
