"""The app builder: one call makes a service's FastAPI app with everything a service runs.

A service supplies its settings, routers, the consumers it runs and its own background work;
:func:`build_app` does the rest, the same way for every service:

- on start: refuse weak secrets outside development (one line, exit), logging, migrations
  (``settings.migrate_on_start``), the database pool (``app.state.pool``), the outbox relay
  (``settings.relay_enabled``), each :class:`Consumer` (an idempotent batch consumer), each
  :class:`Background` resource (its value at ``app.state.<name>``), the purge of old
  Idempotency-Keys; on stop, all of it in reverse;
- for every request: the correlation id, the security headers and the access log
  (:mod:`shared.service.middleware`), the error handlers (:mod:`shared.service.errors`), the
  rate limits (:mod:`shared.service.limits`, ``app.state.limits``);
- ``/health/live``, ``/health/ready`` (database, broker) and ``/metrics``;
- the front-end foundation (:mod:`shared.web`): ``/static/``, the sign-in page ``/sign-in``
  and the browser's session ``/auth/session`` (docs/frontend.md).

Example (see docs/service-kit.md)::

    def create_app(settings: CasesSettings | None = None) -> FastAPI:
        settings = settings or CasesSettings()
        return build_app(
            settings,
            title="Pantau cases",
            description=DESCRIPTION,
            routers=[cases_router, reports_router],
            consumers=[Consumer("cases-workers", [Topic.WORKER], handle_worker_events)],
            background=[Background("deadlines", watch_deadlines)],
        )
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, cast

import asyncpg
from fastapi import APIRouter, FastAPI

from shared import idempotency
from shared.consumer import BatchHandler, IdempotentConsumer
from shared.gc_tuning import tune_for_batches
from shared.health import database_check, health_router, kafka_check
from shared.logging import configure_logging, get_logger
from shared.migrations import migrate
from shared.relay import OutboxRelay
from shared.service import errors
from shared.service.context import service_context
from shared.service.limits import RateLimits
from shared.service.middleware import RequestMiddleware
from shared.settings import AuthSettings, ServiceSettings, development_mode, secret_problems
from shared.web import install as install_web

log = get_logger(__name__)

PURGE_EVERY_SECONDS = 900.0


@dataclass(frozen=True)
class Runtime:
    """What a background resource gets when the service starts."""

    app: FastAPI
    settings: ServiceSettings
    pool: asyncpg.Pool


@dataclass(frozen=True)
class Consumer:
    """An idempotent batch consumer the service runs (:class:`shared.consumer.IdempotentConsumer`).

    ``name`` keys its inbox and stored positions (and is its consumer group unless
    ``group_id`` is given); ``handler(conn, events)`` applies a batch of new events inside the
    transaction that records them as consumed.
    """

    name: str
    topics: Sequence[str]
    handler: BatchHandler
    group_id: str | None = None
    batch_size: int | None = None


Opener = Callable[[Runtime], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class Background:
    """Something that runs beside the requests, from start to stop.

    ``open(runtime)`` is an async context manager: entered on start (its value is put at
    ``app.state.<name>`` for the routes), left on stop. For a plain loop use :func:`loop`.
    """

    name: str
    open: Opener


def loop(work: Callable[[Runtime], Coroutine[Any, Any, None]]) -> Opener:
    """An :data:`Opener` running ``work(runtime)`` as a task, cancelled on stop."""

    @asynccontextmanager
    async def running(runtime: Runtime) -> AsyncIterator[asyncio.Task[None]]:
        task = asyncio.create_task(work(runtime))
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running


def every(seconds: float, work: Callable[[Runtime], Awaitable[None]]) -> Opener:
    """An :data:`Opener` running ``work(runtime)`` now and every ``seconds``; a failing round
    is logged (its exception's type) and the next one runs as planned."""

    async def repeat(runtime: Runtime) -> None:
        while True:
            try:
                await work(runtime)
            except Exception as exc:
                log.warning("background round failed", work=work.__name__, error=type(exc).__name__)
            await asyncio.sleep(seconds)

    return loop(repeat)


@dataclass(frozen=True)
class _Spec:
    settings: ServiceSettings
    consumers: Sequence[Consumer]
    background: Sequence[Background]
    package: str


class WeakSecrets(SystemExit):
    """A secret setting is weak outside development: the service does not start."""


def check_secrets(settings: ServiceSettings) -> None:
    """Exit with one line when a secret is weak, unless ``PANTAU_DEV=1``."""
    if development_mode():
        return
    problems = secret_problems(AuthSettings(), settings)
    if problems:
        raise WeakSecrets(
            f"pantau {settings.service}: refusing to start: {'; '.join(problems)}. Use secrets "
            f"of your own, e.g. `openssl rand -hex 32` (PANTAU_DEV=1 only on a development "
            f"machine)."
        )


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str = "",
    version: str = "1.0.0",
    routers: Sequence[APIRouter] = (),
    consumers: Sequence[Consumer] = (),
    background: Sequence[Background] = (),
    tags: Sequence[dict[str, str]] = (),
    package: str | None = None,
) -> FastAPI:
    """The service's app. ``package`` (default ``services.<settings.service>``) holds its
    ``migrations/``; everything else is described in the module's docstring."""
    check_secrets(settings)
    spec = _Spec(settings, consumers, background, package or f"services.{settings.service}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with service_context(settings.service):
            async with _running(app, spec):
                yield

    app = FastAPI(
        title=title,
        version=version,
        description=description,
        openapi_tags=[*tags, {"name": "health", "description": "Liveness, readiness, metrics"}],
        lifespan=lifespan,
        # No OpenTelemetry here (metrics are Prometheus at /metrics); FastAPI's own telemetry
        # would otherwise look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.limits = RateLimits.from_settings(settings)
    app.add_middleware(RequestMiddleware, service=settings.service, access_log=settings.access_log)
    errors.install(app)
    for router in routers:
        app.include_router(router)
    install_web(app, service=settings.service, pages=_pages_folder(spec.package))

    async def database_ready() -> None:
        await database_check(app.state.pool)()

    app.include_router(
        health_router(
            {"database": database_ready, "kafka": kafka_check(settings.kafka_bootstrap_servers)}
        )
    )
    return app


def _pages_folder(package: str) -> Path | None:
    """The service's ``static/`` folder (its pages' scripts and styles), when it has one."""
    try:
        folder = Path(str(resources.files(package) / "static"))
    except ModuleNotFoundError:
        return None
    return folder if folder.is_dir() else None


@asynccontextmanager
async def _running(app: FastAPI, spec: _Spec) -> AsyncIterator[None]:
    settings = spec.settings
    configure_logging(service=settings.service, json=settings.log_json, level=settings.log_level)
    _quiet_server_access_log()
    if settings.migrate_on_start:
        applied = await migrate(settings.database_url, spec.package)
        if applied:
            log.info("migrations applied", names=applied)
    if spec.consumers:
        tune_for_batches()
    async with AsyncExitStack() as stack:
        pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
        )
        stack.push_async_callback(pool.close)
        app.state.pool = pool
        runtime = Runtime(app=app, settings=settings, pool=pool)
        if settings.relay_enabled:
            relay = OutboxRelay(settings.database_url, settings)
            await relay.start()
            stack.push_async_callback(relay.stop)
        for item in spec.background:
            setattr(app.state, item.name, await stack.enter_async_context(item.open(runtime)))
        for spec_consumer in spec.consumers:
            consumer = IdempotentConsumer(
                name=spec_consumer.name,
                topics=spec_consumer.topics,
                dsn=settings.database_url,
                handler=spec_consumer.handler,
                settings=settings,
                group_id=spec_consumer.group_id,
                batch_size=spec_consumer.batch_size,
            )
            await consumer.start()
            stack.push_async_callback(consumer.stop)
        await stack.enter_async_context(
            every(PURGE_EVERY_SECONDS, _purge_idempotency_keys)(runtime)
        )
        yield


async def _purge_idempotency_keys(runtime: Runtime) -> None:
    """Forget old Idempotency-Keys (clients retry within minutes, not days)."""
    retention = timedelta(hours=runtime.settings.idempotency_retention_hours)
    async with runtime.pool.acquire() as conn:
        purged = await idempotency.purge(cast(asyncpg.Connection, conn), older_than=retention)
    if purged:
        log.info("idempotency keys purged", count=purged)


def _quiet_server_access_log() -> None:
    """uvicorn's access log prints the raw request line (query strings included): the kit's
    own access log replaces it."""
    logging.getLogger("uvicorn.access").disabled = True
