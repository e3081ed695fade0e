"""The ``pantau`` command: run the system locally or one service, migrate, mint tokens, tail.

Kept thin on purpose: each command parses its options and calls into :mod:`pantau.dev`,
:mod:`pantau.local`, :mod:`pantau.catalog` or :mod:`shared`. Errors go to standard error with a
non-zero exit code (2 for bad input, 1 for failures at run time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pantau import catalog
from services.reporting.cli import compare as compare_reporting_nodes

app = typer.Typer(
    name="pantau",
    help="Pantau: oversight of Indonesian migrant workers, from the village to the ministry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"pantau: {message}", err=True)
    raise typer.Exit(code)


def _service(name: str) -> catalog.Service:
    try:
        return catalog.get(name)
    except catalog.UnknownServiceError as exc:
        _fail(str(exc), 2)


@app.command()
def token(
    role: Annotated[str, typer.Option("--role", help="e.g. village-officer, ministry, monitor")],
    area: Annotated[str, typer.Option("--area", help="area code, e.g. 53.71 (ID: the nation)")],
    ttl: Annotated[
        int | None, typer.Option("--ttl", min=60, help="lifetime in seconds (default 8 h)")
    ] = None,
    sub: Annotated[str | None, typer.Option("--sub", help="subject (default role@area)")] = None,
) -> None:
    """Print a signed bearer token for ROLE at AREA, and nothing else."""
    from shared.auth import TokenError, issue_token

    try:
        typer.echo(issue_token(role, area, ttl_seconds=ttl, sub=sub))
    except TokenError as exc:
        _fail(str(exc), 2)


def _refuse_development_secrets(settings: object) -> None:
    """Outside `pantau dev`, a service must not run on the repository's public secrets."""
    import os

    from shared.settings import (
        DEV_MODE_VARIABLE,
        AuthSettings,
        BaseSettings,
        development_secrets_in_use,
    )

    if os.environ.get(DEV_MODE_VARIABLE, "").lower() in {"1", "true", "yes"}:
        return
    checked = [AuthSettings()] + ([settings] if isinstance(settings, BaseSettings) else [])
    public = development_secrets_in_use(*checked)
    if public:
        _fail(
            f"{', '.join(public)} still hold the public development defaults: anyone could "
            f"forge tokens. Set them to secrets of your own (e.g. `openssl rand -hex 32`), or "
            f"set {DEV_MODE_VARIABLE}=1 on a development machine.",
            2,
        )


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="registry, cases, alerts or reporting")],
    host: Annotated[str | None, typer.Option(help="default: <NAME>_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default: <NAME>_PORT or its own")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="server processes; default: <NAME>_WORKERS or 1")
    ] = None,
) -> None:
    """Run one service with uvicorn, its settings read from <NAME>_* environment variables."""
    import uvicorn

    found = _service(service)
    if not found.has_app:
        _fail(f"service {service!r} has no app.py yet", 2)
    settings = catalog.settings_class(found)()
    _refuse_development_secrets(settings)
    uvicorn.run(
        found.app_factory,
        factory=True,
        host=host or settings.host,
        port=port or settings.http_port,
        workers=workers or settings.workers,
        lifespan="on",
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="registry, cases, alerts or reporting")],
) -> None:
    """Apply the shared and the service's migrations to <NAME>_DATABASE_URL, then exit."""
    import asyncpg

    from shared.migrations import migrate as apply

    found = _service(service)
    settings = catalog.settings_class(found)()
    package = found.package if found.has_migrations else None
    try:
        applied = asyncio.run(apply(settings.database_url, package))
    except (OSError, ConnectionError) as exc:
        _fail(f"cannot reach the {service} database ({exc})")
    except asyncpg.PostgresError as exc:
        _fail(f"the {service} database refused the migration: {type(exc).__name__}: {exc}")
    host = settings.database_url.rsplit("@", 1)[-1]
    for name in applied:
        typer.echo(f"applied {name}")
    typer.echo(f"{service} database {host}: {len(applied) or 'no'} migrations applied")


@app.command()
def dev(
    broker_port: Annotated[
        int,
        typer.Option(help="Tansu's port (the next free one if busy; 0: any free port)"),
    ] = catalog.DEFAULT_BROKER_PORT,
    port_offset: Annotated[
        int, typer.Option(help="added to the services' ports (registry 8001 … reporting 8004)")
    ] = 0,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="keep logs and the PostgreSQL cluster here (fresh each run)"),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--service", help="run only these services (repeatable)")
    ] = None,
    ready_timeout: Annotated[float, typer.Option(help="seconds to wait for readiness")] = 120.0,
) -> None:
    """Run the whole system locally: broker, PostgreSQL, every service. Ctrl-C stops it all."""
    from pantau import dev as dev_runner
    from pantau.local.postgres import PostgresError
    from pantau.local.stack import StackError
    from pantau.local.tansu import TansuError

    try:
        code = dev_runner.run(
            broker_port=broker_port,
            port_offset=port_offset,
            data_dir=data_dir,
            only=only or None,
            ready_timeout=ready_timeout,
        )
    except (StackError, TansuError, PostgresError) as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="e.g. registry.worker.v1")],
    bootstrap: Annotated[
        str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="broker host:port")
    ] = "127.0.0.1:9092",
    from_beginning: Annotated[bool, typer.Option(help="start at the oldest record")] = False,
    limit: Annotated[int | None, typer.Option(help="stop after this many records")] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="stop after this many seconds without records")
    ] = None,
) -> None:
    """Print a topic's records as JSON lines (partition, offset, key, value) without a group."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_tail(topic, bootstrap, from_beginning, limit, idle_exit))


async def _tail(
    topic: str, bootstrap: str, from_beginning: bool, limit: int | None, idle_exit: float | None
) -> None:
    import time

    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer.topics()  # refresh metadata once
            partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            _fail(f"no topic {topic!r} on {bootstrap}", 2)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        if from_beginning:
            await consumer.seek_to_beginning(*assigned)
        else:
            await consumer.seek_to_end(*assigned)
        seen, last = 0, time.monotonic()
        while limit is None or seen < limit:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    value = record.value.decode("utf-8", "replace") if record.value else None
                    try:
                        parsed = json.loads(value) if value else None
                    except json.JSONDecodeError:
                        parsed = value
                    line = {
                        "partition": record.partition,
                        "offset": record.offset,
                        "key": record.key.decode("utf-8", "replace") if record.key else None,
                        "value": parsed,
                    }
                    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                    seen += 1
                    last = time.monotonic()
            sys.stdout.flush()
            if idle_exit is not None and time.monotonic() - last > idle_exit:
                break
    finally:
        await consumer.stop()


@app.command()
def simulate(
    workers: Annotated[int, typer.Option(min=1, max=1_000_000, help="workers to record")] = 100,
    registry_url: Annotated[str, typer.Option(envvar="PANTAU_REGISTRY_URL")] = (
        "http://127.0.0.1:8001"
    ),
    concurrency: Annotated[int, typer.Option(min=1, max=256)] = 16,
    seed: Annotated[int | None, typer.Option()] = None,
    years: Annotated[
        int, typer.Option(min=1, max=8, help="spread the workers' lives over this many years back")
    ] = 5,
    role: Annotated[str, typer.Option(help="role of the simulated caller")] = "ministry",
    area: Annotated[str, typer.Option(help="area of the simulated caller")] = "ID",
) -> None:
    """Drive a running registry through its public API with realistic traffic over past years."""
    from pantau.simulate import Progress
    from pantau.simulate import simulate as run_simulation
    from shared.auth import TokenError, issue_token

    try:
        bearer = issue_token(role, area)
    except TokenError as exc:
        _fail(str(exc), 2)
    progress = Progress(sys.stderr, workers)
    result = asyncio.run(
        run_simulation(
            registry_url,
            bearer,
            workers=workers,
            concurrency=concurrency,
            seed=seed,
            years=years,
            on_progress=progress,
        )
    )
    progress(result, final=True)
    for line in result.summary(registry_url):
        typer.echo(line)
    if result.aborted:
        _fail(f"simulate stopped: {result.aborted}")


@app.command()
def replay(
    service: Annotated[str, typer.Argument(help="the service whose views to rebuild: reporting")],
    scope: Annotated[
        str | None, typer.Option(help="reporting node scope (default: REPORTING_SCOPE)")
    ] = None,
) -> None:
    """Rebuild a service's views from the topics beside the live ones, then swap them in."""
    _service(service)
    if service != "reporting":
        _fail(f"{service} keeps no views built from the topics; only reporting replays", 2)
    from services.reporting.cli import replay as replay_reporting

    replay_reporting(scope)


# The reporting service owns the comparison; registered here so `pantau compare` exists.
app.command("compare")(compare_reporting_nodes)


if __name__ == "__main__":
    app()
