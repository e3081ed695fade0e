"""The reporting service: projections of every topic, served per area (port 8004)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from services.reporting.api import router
from services.reporting.projections.handler import FIGURE_TOPICS, ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.service.app import Background, Consumer, Runtime, build_app
from shared.service.pages import html_page

DESCRIPTION = """Village, district, regency, province and national views built from the event
log. Each event updates its village and every ancestor in the transaction that records it as
consumed, so at every instant an area's figures equal the sum of its children's. A node may be
scoped to one area's subtree (`REPORTING_SCOPE=53`); `GET /v1/watermark` and
`GET /v1/areas/{code}/checksums` (each area's checksum covers its whole subtree, villages
included) let two nodes be compared from the top (`pantau compare`).

**Errors.** 401 no or bad token; 403 outside your jurisdiction; 404 an area this node does not
hold; 422 a parameter is at fault, named in `loc` (values are never echoed); 429 a rate limit is
spent (`Retry-After`): too many requests without a valid token from one address, or too many
calls of the expensive `summary/as-of` and `export.csv?as_of=` reads per caller or address."""


async def dashboard() -> HTMLResponse:
    """The dashboard, on the front-end foundation (docs/frontend.md): signed in by the session
    (`/sign-in`), its script and styles at `/static/reporting/`."""
    page = resources.files("services.reporting") / "static" / "dashboard.html"
    return html_page(page.read_text(encoding="utf-8"))


@asynccontextmanager
async def summary_publisher(runtime: Runtime) -> AsyncIterator[Any]:
    """Publishes suppressed summaries to agencies (``REPORTING_PUBLISH_ENABLED``)."""
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    if not settings.publish_enabled:
        yield None
        return
    from services.reporting.publisher import SummaryPublisher

    publisher = SummaryPublisher(runtime.pool, settings)
    await publisher.start()
    try:
        yield publisher
    finally:
        await publisher.stop()


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    app = build_app(
        settings,
        title="Pantau reporting",
        description=DESCRIPTION,
        tags=[{"name": "reporting", "description": "Figures per area, from the event log"}],
        routers=[router],
        consumers=[
            Consumer(
                name=settings.consumer_name,
                topics=FIGURE_TOPICS,
                handler=ProjectionHandler(settings.database_url, settings.scope),
                group_id=settings.group_id,
            )
        ],
        background=[Background("publisher", summary_publisher)],
    )
    app.add_api_route("/", dashboard, response_class=HTMLResponse, include_in_schema=False)
    return app
