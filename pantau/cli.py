"""The ``pantau`` command: run the system locally or one service, migrate, mint tokens, tail.

Kept thin on purpose: each command parses its options and calls into :mod:`pantau.dev`,
:mod:`pantau.local`, :mod:`pantau.catalog` or :mod:`shared`. Every command but ``dev`` first
reads the settings of a running ``pantau dev`` (:mod:`pantau.local.discovery`), under the
environment and the options. Errors are one line on standard error with a non-zero exit code
(2 for bad input, 1 for failures at run time); :func:`main`, the installed entry point, makes
sure of that for usage errors and for anything unexpected too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer

from pantau import catalog
from pantau.failures import CommandFailed, Target, debug, one_line
from pantau.local import discovery
from services.reporting.cli import compare as compare_reporting_nodes

if TYPE_CHECKING:
    from services.reporting.settings import ReportingSettings

app = typer.Typer(
    name="pantau",
    help="Pantau: oversight of Indonesian migrant workers, from the village to the ministry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _discover(ctx: typer.Context) -> None:
    """Pantau: oversight of Indonesian migrant workers, from the village to the ministry.

    Commands run beside `pantau dev` find it by themselves (its settings file, see
    `pantau dev --help`); environment variables and options still win, and
    PANTAU_DEV_DISCOVERY=0 turns the finding off.
    """
    if ctx.invoked_subcommand != "dev":  # dev starts a system; it must not find another
        discovery.apply()
    if ctx.invoked_subcommand not in {"dev", "serve"}:
        # A client's own error logs would repeat, in many lines, the one line we print.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"pantau: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _in_one_line(target: Target) -> Iterator[None]:
    """Database and broker failures inside the block end the command with one clear line."""
    try:
        with one_line(target):
            yield
    except CommandFailed as exc:
        _fail(str(exc), exc.code)


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
    from shared.areas import areas
    from shared.auth import TokenError, issue_token

    try:
        minted = issue_token(role, area, ttl_seconds=ttl, sub=sub)
    except TokenError as exc:
        _fail(str(exc), 2)
    if area.upper() != "ID" and area not in areas():
        _fail(f"no area {area!r} in Indonesia's area codes (e.g. 53.71, or ID for the nation)", 2)
    typer.echo(minted)


def _refuse_weak_secrets(settings: object) -> None:
    """Outside `pantau dev`, a service must not run on public or guessable secrets (the same
    check as the app builder's, said before uvicorn starts)."""
    from shared.settings import (
        DEV_MODE_VARIABLE,
        AuthSettings,
        BaseSettings,
        development_mode,
        secret_problems,
    )

    if development_mode():
        return
    checked = [AuthSettings()] + ([settings] if isinstance(settings, BaseSettings) else [])
    problems = secret_problems(*checked)
    if problems:
        _fail(
            f"{'; '.join(problems)}: anyone could forge tokens. Set them to secrets of your own "
            f"(e.g. `openssl rand -hex 32`), or set {DEV_MODE_VARIABLE}=1 on a development "
            "machine.",
            2,
        )


def _target(service: catalog.Service, settings: object) -> Target:
    return Target(
        service=service.name,
        database_url=getattr(settings, "database_url", None),
        bootstrap=getattr(settings, "kafka_bootstrap_servers", None),
        prefix=service.env_prefix,
    )


async def _reachable(service: catalog.Service, settings: object, *, migrated: bool) -> None:
    """What `serve` and `replay` check first: the database answers (and is migrated, if
    ``migrated``), the broker answers. The server would otherwise fail in its lifespan, with a
    traceback; a replay would fail after its progress bar appeared."""
    import asyncpg

    from pantau.local.tansu import fetch_broker_addresses

    target = _target(service, settings)
    conn = await asyncpg.connect(target.database_url, timeout=10)
    try:
        if migrated:
            await conn.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        await conn.close()
    errors: list[OSError] = []
    for address in (target.bootstrap or "").split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            await asyncio.to_thread(fetch_broker_addresses, host or "127.0.0.1", int(port or 0))
            return
        except (OSError, ValueError) as exc:
            errors.append(exc if isinstance(exc, OSError) else OSError(str(exc)))
    from aiokafka.errors import KafkaConnectionError

    raise KafkaConnectionError(f"no broker answered: {errors}")


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

    from pantau.local.procs import port_is_free
    from shared.logging import configure_logging

    found = _service(service)
    if not found.has_app:
        _fail(f"service {service!r} has no app.py yet", 2)
    settings = catalog.settings_class(found)()
    _refuse_weak_secrets(settings)
    bind_host, bind_port = host or settings.host, port or settings.http_port
    if not port_is_free(bind_port, bind_host):
        _fail(
            f"{bind_host}:{bind_port} is taken (by pantau dev's {service}?): choose another "
            f"with --port or {found.env_prefix}PORT",
            2,
        )
    with _in_one_line(_target(found, settings)):
        asyncio.run(_reachable(found, settings, migrated=True))
    # The service's log format from the first line on: uvicorn's own lines too (log_config=None
    # leaves its loggers to the root handler), so a log file is JSON lines throughout.
    configure_logging(
        service=getattr(settings, "service", found.name),
        json=getattr(settings, "log_json", None),
        level=getattr(settings, "log_level", "INFO"),
    )
    uvicorn.run(
        found.app_factory,
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        lifespan="on",
        log_level=settings.log_level.lower(),
        log_config=None,
        timeout_graceful_shutdown=10,
    )


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="registry, cases, alerts or reporting")],
) -> None:
    """Apply the shared and the service's migrations to <NAME>_DATABASE_URL, then exit."""
    from shared.migrations import migrate as apply

    found = _service(service)
    settings = catalog.settings_class(found)()
    package = found.package if found.has_migrations else None
    with _in_one_line(Target(found.name, settings.database_url, None, found.env_prefix)):
        applied = asyncio.run(apply(settings.database_url, package))
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
    province_node: Annotated[
        str | None,
        typer.Option(
            help="also run a reporting node scoped to this province (e.g. 53): its own "
            "database, consumer group and port (reporting's + 10); `pantau compare` compares it "
            "with the national node"
        ),
    ] = None,
    ready_timeout: Annotated[float, typer.Option(help="seconds to wait for readiness")] = 120.0,
) -> None:
    """Run the whole system locally: broker, PostgreSQL, every service. Ctrl-C stops it all.

    A service that dies is restarted with backoff (given up after five quick deaths in a
    row). The settings of the running system are written to .pantau/dev.env in the checkout
    (PANTAU_DEV_ENV_FILE names another file) and removed on stop: the other commands read it.
    """
    from pantau import dev as dev_runner
    from pantau.local.postgres import PostgresError
    from pantau.local.stack import StackError, check_province_node
    from pantau.local.tansu import TansuError

    if province_node is not None:
        try:
            check_province_node(province_node)
        except StackError as exc:
            _fail(str(exc), 2)
    try:
        code = dev_runner.run(
            broker_port=broker_port,
            port_offset=port_offset,
            data_dir=data_dir,
            only=only or None,
            ready_timeout=ready_timeout,
            province_node=province_node,
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
    """Print a topic's records as JSON lines (partition, offset, key, value) without a group.

    Stops on Ctrl-C or SIGTERM, and with one line when the broker goes away."""
    with (
        contextlib.suppress(KeyboardInterrupt),
        _in_one_line(Target("tail", bootstrap=bootstrap, broker_option="--bootstrap")),
    ):
        asyncio.run(_tail(topic, bootstrap, from_beginning, limit, idle_exit))


BROKER_CHECK_SECONDS = 2.0  # without records for this long, tail checks the broker still answers


async def _broker_answers(bootstrap: str) -> bool:
    """True when one of the bootstrap addresses accepts a connection."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host.strip("[]") or "127.0.0.1", int(port)), 2
            )
        except (OSError, ValueError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


def _record_line(record: Any) -> str:
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
    return json.dumps(line, ensure_ascii=False)


async def _tail(
    topic: str, bootstrap: str, from_beginning: bool, limit: int | None, idle_exit: float | None
) -> None:
    import signal
    import time

    from aiokafka import AIOKafkaConsumer, TopicPartition

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signum, stopping.set)  # only in the main thread
            handled.append(signum)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        await consumer.start()
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
        checked = last
        while not stopping.is_set() and (limit is None or seen < limit):
            wanted = None if limit is None else limit - seen
            batches = await consumer.getmany(timeout_ms=500, max_records=wanted)
            records = [record for batch in batches.values() for record in batch]
            for record in records[:wanted]:
                sys.stdout.write(_record_line(record) + "\n")
                seen += 1
            if records:
                last = time.monotonic()
            sys.stdout.flush()
            now = time.monotonic()
            if idle_exit is not None and now - last > idle_exit:
                break
            if now - max(last, checked) > BROKER_CHECK_SECONDS:
                checked = now
                if not await _broker_answers(bootstrap):
                    records_seen = f"{seen} record{'' if seen == 1 else 's'}"
                    _fail(f"the broker at {bootstrap} went away; stopped after {records_seen}")
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        # A consumer of a broker that is gone may wait long to say goodbye: not for the user.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(consumer.stop(), 2)


@app.command()
def simulate(
    workers: Annotated[int, typer.Option(min=1, max=1_000_000, help="workers to record")] = 100,
    registry_url: Annotated[
        str,
        typer.Option(
            envvar="PANTAU_REGISTRY_URL", help="default: pantau dev's registry, else this"
        ),
    ] = "http://127.0.0.1:8001",
    concurrency: Annotated[int, typer.Option(min=1, max=256)] = 16,
    seed: Annotated[int | None, typer.Option()] = None,
    years: Annotated[
        int, typer.Option(min=1, max=8, help="spread the workers' lives over this many years back")
    ] = 5,
    role: Annotated[str, typer.Option(help="role of the simulated caller")] = "ministry",
    area: Annotated[str, typer.Option(help="area of the simulated caller")] = "ID",
    cases_url: Annotated[
        str,
        typer.Option(
            envvar="PANTAU_CASES_URL",
            help="where the workers' complaints go: default pantau dev's cases service, else "
            "this (skipped when none answers)",
        ),
    ] = "http://127.0.0.1:8002",
) -> None:
    """Drive a running registry, then the cases service, through their public APIs with
    realistic traffic over past years."""
    from pantau.failures import dev_hint
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
            cases_url=cases_url,
            tokens=lambda role, area: issue_token(role, area),
        )
    )
    progress(result, final=True)
    for line in result.summary(registry_url):
        typer.echo(line)
    if result.aborted:
        hint = dev_hint("PANTAU_REGISTRY_URL", registry_url, "--registry-url")
        _fail(f"simulate stopped: {result.aborted} ({hint})")


@app.command()
def replay(
    service: Annotated[str, typer.Argument(help="the service whose views to rebuild: reporting")],
    scope: Annotated[
        str | None,
        typer.Option(
            help="the node to rebuild: its scope (default REPORTING_SCOPE, else ID); pantau "
            "dev's province node is found by its scope"
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(min=1, help="processes folding the partitions (default: one per core)"),
    ] = None,
) -> None:
    """Rebuild a service's views from the topics beside the live ones, then swap them in."""
    found = _service(service)
    if service != "reporting":
        _fail(f"{service} keeps no views built from the topics; only reporting replays", 2)
    from services.reporting.cli import replay as replay_reporting
    from services.reporting.settings import ReportingSettings

    settings = ReportingSettings() if scope is None else ReportingSettings(scope=scope)
    settings = _node_of_scope(settings)
    with _in_one_line(_target(found, settings)):
        asyncio.run(_reachable(found, settings, migrated=False))
        replay_reporting(settings, processes)


def _node_of_scope(settings: ReportingSettings) -> ReportingSettings:
    """With `--scope 53` beside `pantau dev --province-node 53`, that node's database; refuse to
    replay one scope into pantau dev's database of another (it would replace its figures)."""
    running = discovery.running()
    if running is None or settings.database_url != running.get("REPORTING_DATABASE_URL"):
        return settings  # the database was chosen by hand, or there is no pantau dev
    node_scope = running.get(discovery.PROVINCE_NODE_KEY)
    node_database = running.get(discovery.PROVINCE_NODE_DATABASE_KEY)
    if settings.scope == node_scope and node_database:
        return settings.model_copy(update={"database_url": node_database})
    if settings.scope != "ID":
        _fail(
            f"pantau dev's reporting database holds the national node, not scope "
            f"{settings.scope}: start `pantau dev --province-node {settings.scope}` or set "
            "REPORTING_DATABASE_URL",
            2,
        )
    return settings


# The reporting service owns the comparison; registered here so `pantau compare` exists.
app.command("compare")(compare_reporting_nodes)


def _click_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(usage errors, other click errors): Typer raises those of its vendored click, older
    Typers those of click itself."""
    modules = [click.exceptions]
    with contextlib.suppress(ImportError):
        from typer._click import exceptions as vendored

        modules.append(vendored)
    return tuple(m.UsageError for m in modules), tuple(m.ClickException for m in modules)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return str(format_message() if callable(format_message) else exc)


def main(argv: list[str] | None = None) -> NoReturn:
    """The installed ``pantau`` command: any failure is one line on stderr, never a traceback
    (``PANTAU_DEBUG=1`` shows the traceback of an unexpected one)."""
    usage_errors, click_errors = _click_errors()
    try:
        code = app(args=argv, prog_name="pantau", standalone_mode=False)
    except usage_errors as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `pantau`: Typer showed the help
            sys.exit(2)
        command = ctx.command_path if ctx is not None else "pantau"
        message = _message(exc).rstrip(".")
        typer.echo(f"{command}: {message} (see `{command} --help`)", err=True)
        code = getattr(exc, "exit_code", 2)
    except click_errors as exc:
        typer.echo(f"pantau: {_message(exc)}", err=True)
        code = getattr(exc, "exit_code", 1)
    except (typer.Abort, click.Abort, KeyboardInterrupt):
        typer.echo("pantau: interrupted", err=True)
        code = 130
    except CommandFailed as exc:
        typer.echo(f"pantau: {exc}", err=True)
        code = exc.code
    except Exception as exc:
        if debug():
            raise
        reason = (str(exc).strip().splitlines() or [""])[0]
        typer.echo(
            f"pantau: unexpected {type(exc).__name__}: {reason} (PANTAU_DEBUG=1 shows where)",
            err=True,
        )
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
