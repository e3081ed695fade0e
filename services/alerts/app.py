"""The alerts service (port 8003): rules over every stream, said once, to the level that acts.

It reads ``registry.worker.v1``, ``registry.agency.v1`` and ``cases.case.v1`` into its own
database (:mod:`services.alerts.intake`), runs every rule of docs/contract.md ("Alert rules")
over them and a clock (:mod:`services.alerts.ticker`), and publishes each alert's lifecycle on
``alerts.alert.v1`` through its outbox. Monitors follow and act on the alerts of their
jurisdiction over HTTP and a live stream (:mod:`services.alerts.monitors`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from services.alerts.clock import Clock, SystemClock
from services.alerts.intake import CONSUMER, TOPICS, Intake
from services.alerts.keeper import EngineKeeper
from services.alerts.monitors.feed import open_feed
from services.alerts.monitors.views import router
from services.alerts.settings import AlertsSettings
from services.alerts.ticker import clock_loop
from shared.service.app import Background, Consumer, Runtime, build_app
from shared.service.db import transaction
from shared.service.pages import html_page

DESCRIPTION = """Rules over the registry's and the cases' streams: an illegal fee, an unlicensed
agency acting, a case left unassigned or near or past its deadline, an agency named across
villages, a village where complaints surge, a return overdue, a worker outside the procedural
channel. Each condition raises one alert, to the level that must act; monitors acknowledge and
resolve it. Every step is published on `alerts.alert.v1` (see docs/asyncapi.json).

**Authorization.** `Authorization: Bearer <token>` (see `pantau token`). Monitors read the
alerts of their area and everything under it, and acknowledge and resolve them. Officers of
every level, the ministry and supervisors read the alerts of their area. Only monitors see who
acknowledged or resolved an alert and the resolving monitor's comment.

**Live.** `GET /v1/alerts/stream` sends every alert change of your area as a server-sent event;
reconnect with `Last-Event-ID` (browsers do) to get every change after it, none twice. The
monitors' board at `/` (sign in at `/sign-in`) shows them as they come.

**Errors.** 401 no or bad token; 403 outside your role or jurisdiction; 404 no such alert; 409
the alert is already resolved; 422 a field is at fault, named in `loc` (values are never
echoed); 429 a rate limit is spent (`Retry-After`): requests without a valid token from one
address, or stream connections of one caller.

**Idempotency.** Both steps accept `Idempotency-Key`: the same key with the same body returns
the first answer (`Idempotent-Replayed: true`) and writes nothing.

**Correlation.** Every answer carries `X-Correlation-ID`; the alert events a step publishes
carry it too, and an alert raised by an event carries that event's correlation id and, as its
`causation_id`, that event's id."""

YOUNG_COLLECTION = 10_000
TAGS = [{"name": "alerts", "description": "Alerts of your jurisdiction and their lifecycle"}]


async def board() -> HTMLResponse:
    """The monitors' board, on the front-end foundation (docs/frontend.md): signed in by the
    session, it reads the alerts of the person's area and follows the live stream."""
    page = resources.files("services.alerts") / "static" / "board.html"
    return html_page(page.read_text(encoding="utf-8"))


def create_app(settings: AlertsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The service. ``clock`` drives the time-driven rules (tests pass a
    :class:`~services.alerts.clock.ManualClock`); default: the system clock."""
    settings = settings or AlertsSettings()
    keeper = EngineKeeper(settings, clock or SystemClock())

    @asynccontextmanager
    async def loaded(runtime: Runtime) -> AsyncIterator[EngineKeeper]:
        """The rules' state, read from the database before the consumer starts."""
        # Young collections of a tenth of the kit's size: each pause between two batches is a
        # few milliseconds, not fifty (an alert is late by as much).
        gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
        async with transaction(runtime.pool) as conn:
            await keeper.step(conn, lambda engine: [])
        yield keeper

    app = build_app(
        settings,
        title="Pantau alerts",
        description=DESCRIPTION,
        tags=TAGS,
        routers=[router],
        consumers=[Consumer(CONSUMER, TOPICS, Intake(keeper), group_id=settings.consumer_group)],
        background=[
            Background("keeper", loaded),
            Background("feed", open_feed),
            Background("clock", clock_loop(keeper)),
        ],
    )
    app.state.keeper = keeper
    app.add_api_route("/", board, response_class=HTMLResponse, include_in_schema=False)
    return app
