"""The registry service (port 8001): workers, their placements and fees, and agencies.

It owns the personal records (NIK, name, birth date) and publishes what happens to them as
events without personal data: ``registry.worker.v1`` (key = worker id, area = the worker's
village, sequence = the worker's version) and ``registry.agency.v1``. A state change, its event
(transactional outbox), its audit row and its Idempotency-Key are committed together;
registrations are committed in groups (``workers/batcher.py``), each request keeping its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import cast

import asyncpg
from fastapi import FastAPI

from services.registry import errors
from services.registry.agencies.views import router as agencies_router
from services.registry.context import CorrelationIdMiddleware
from services.registry.fees.views import router as fees_router
from services.registry.settings import RegistrySettings
from services.registry.workers.batcher import RegistrationBatcher
from services.registry.workers.views import router as workers_router
from shared import idempotency
from shared.health import database_check, health_router, kafka_check
from shared.logging import configure_logging, get_logger
from shared.migrations import migrate
from shared.relay import OutboxRelay

log = get_logger(__name__)

_PURGE_EVERY_SECONDS = 900.0

DESCRIPTION = """Registers prospective migrant workers (village, regency), verifies them (regency),
records departures, returns and the fees they were charged, and licenses placement agencies.

**Authorization.** `Authorization: Bearer <token>` (see `pantau token`). Officers act within
their jurisdiction: a village officer on their village, a regency officer on their regency, a
province officer on their province, the ministry on everything. Verification is for regency,
province and ministry. Case workers and supervisors may read records in their area (without the
NIK). Agency licensing and revocation are for the ministry; a province officer may suspend an
agency seated in their province.

**Errors.** 401 no or bad token; 403 outside your role or jurisdiction; 404 no such record;
409 the record's state does not allow the step (or the NIK / licence number is already
registered); 422 a field is at fault, named in `loc` — submitted values are never echoed.
Nothing is written when a request is refused.

**Idempotency.** Every write accepts `Idempotency-Key`: the same key with the same body returns
the first answer (with `Idempotent-Replayed: true`) and writes nothing; the same key with a
different body is refused with 422.

**Correlation.** `X-Request-ID` or `X-Correlation-ID` is kept (or one is made) and returned as
`X-Correlation-ID`; it is carried by the events the request causes and by the audit trail.

**Events.** `worker-registered`, `worker-verified`, `worker-departed`, `worker-returned`,
`fee-charged` on `registry.worker.v1`; `agency-licensed`, `agency-suspended`, `agency-revoked` on
`registry.agency.v1` (see docs/asyncapi.json). They never carry a NIK, a name or a birth date."""

TAGS = [
    {"name": "workers", "description": "Registration and lifecycle of workers (personal records)"},
    {"name": "fees", "description": "Fees charged to workers, judged by the zero-cost rule"},
    {"name": "agencies", "description": "Placement agencies (P3MI) and their licences"},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics"},
]


async def _purge_idempotency_keys(pool: asyncpg.Pool, retention: timedelta) -> None:
    """Forget old Idempotency-Keys now and then (clients retry within minutes, not days)."""
    while True:
        try:
            async with pool.acquire() as conn:
                purged = await idempotency.purge(
                    cast(asyncpg.Connection, conn), older_than=retention
                )
            if purged:
                log.info("idempotency keys purged", count=purged)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("idempotency key purge failed", error=type(exc).__name__)
        await asyncio.sleep(_PURGE_EVERY_SECONDS)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service="registry", json=settings.log_json, level=settings.log_level)
        if settings.migrate_on_start:
            applied = await migrate(settings.database_url, "services.registry")
            if applied:
                log.info("migrations applied", names=applied)
        pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
        )
        app.state.pool = pool
        registrations = RegistrationBatcher(
            pool,
            max_batch=settings.registration_batch_size,
            max_wait=settings.registration_batch_wait_ms / 1000,
        )
        await registrations.start()
        app.state.registrations = registrations
        relay = OutboxRelay(settings.database_url, settings) if settings.relay_enabled else None
        if relay is not None:
            await relay.start()
        retention = timedelta(hours=settings.idempotency_retention_hours)
        purger = asyncio.create_task(_purge_idempotency_keys(pool, retention))
        try:
            yield
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await registrations.stop()
            if relay is not None:
                await relay.stop()
            await pool.close()

    app = FastAPI(
        title="Pantau registry",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        # No OpenTelemetry here (metrics are Prometheus at /metrics); FastAPI's own telemetry
        # would otherwise look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.add_middleware(CorrelationIdMiddleware)
    errors.install(app)
    app.include_router(workers_router)
    app.include_router(fees_router)
    app.include_router(agencies_router)

    async def database_ready() -> None:
        await database_check(app.state.pool)()

    app.include_router(
        health_router(
            {"database": database_ready, "kafka": kafka_check(settings.kafka_bootstrap_servers)}
        )
    )
    return app
