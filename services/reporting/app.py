"""The reporting service: projections of every topic, served per area (port 8004)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import asyncpg
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from services.reporting.api import router
from services.reporting.projections.handler import FIGURE_TOPICS, ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.consumer import IdempotentConsumer
from shared.gc_tuning import tune_for_batches
from shared.health import database_check, health_router, kafka_check
from shared.logging import configure_logging
from shared.migrations import migrate
from shared.relay import OutboxRelay

DESCRIPTION = """Village, district, regency, province and national views built from the event
log. Each event updates its village and every ancestor in the transaction that records it as
consumed, so at every instant an area's figures equal the sum of its children's. A node may be
scoped to one area's subtree (`REPORTING_SCOPE=53`); `GET /v1/watermark` and
`GET /v1/areas/{code}/checksums` let two nodes be compared (`pantau compare`)."""


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service="reporting", json=settings.log_json, level=settings.log_level)
        await migrate(settings.database_url, "services.reporting")
        tune_for_batches()
        pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=10)
        app.state.pool = pool
        consumer = IdempotentConsumer(
            name=settings.consumer_name,
            topics=FIGURE_TOPICS,
            dsn=settings.database_url,
            handler=ProjectionHandler(settings.database_url, settings.scope),
            settings=settings,
            group_id=settings.group_id,
        )
        relay = OutboxRelay(settings.database_url, settings)
        publisher = None
        if settings.publish_enabled:
            from services.reporting.publisher import SummaryPublisher

            publisher = SummaryPublisher(pool, settings)
        await consumer.start()
        await relay.start()
        if publisher is not None:
            await publisher.start()
        try:
            yield
        finally:
            if publisher is not None:
                await publisher.stop()
            await relay.stop()
            await consumer.stop()
            await pool.close()

    app = FastAPI(
        title="Pantau reporting",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(router)

    async def db_ready() -> None:
        await database_check(app.state.pool)()

    app.include_router(
        health_router(
            {"database": db_ready, "kafka": kafka_check(settings.kafka_bootstrap_servers)}
        )
    )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        page = resources.files("services.reporting") / "static" / "dashboard.html"
        return HTMLResponse(page.read_text(encoding="utf-8"))

    return app
