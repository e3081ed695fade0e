"""The whole system on one machine: broker, PostgreSQL, databases, topics, migrations, services.

This is the engine behind ``pantau dev``; presentation lives in :mod:`pantau.dev`. Infrastructure
comes from the environment when given (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``), else a
Tansu broker and a fresh PostgreSQL cluster are started. Every service package with an ``app.py``
is started as its own process (``python -m pantau.cli serve NAME``) with ``<NAME>_*`` settings.
Stopping goes in dependency order: services first, then the broker, then PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pantau import catalog
from pantau.catalog import Service
from pantau.local.postgres import LocalPostgres, create_database, replace_database
from pantau.local.procs import die_with_parent, free_port, port_is_free, terminate
from pantau.local.tansu import TansuBroker
from shared.contract.topics import all_topics
from shared.kafka import ensure_topics
from shared.migrations import migrate
from shared.settings import DEV_MODE_VARIABLE

HOST = "127.0.0.1"
_FALSE = {"0", "false", "no", "off"}
_MARKER = ".pantau-dev"

Say = Callable[[str], None]


class StackError(RuntimeError):
    """Something the stack needs could not be started."""


@dataclass
class StackOptions:
    broker_port: int = catalog.DEFAULT_BROKER_PORT  # 0: any free port
    port_offset: int = 0  # added to every service's default port
    data_dir: Path | None = None  # logs and the cluster; kept after exit when given
    only: list[str] | None = None  # service names; None: every service with an app.py
    ready_timeout: float = 120.0
    stop_timeout: float = 15.0


@dataclass
class ServiceProcess:
    """One running (or failed) service process."""

    service: Service
    port: int
    database_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    ready: bool = False
    exit_reported: bool = False

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class DevStack:
    """Start with :meth:`start`, watch with :meth:`watch`, always finish with :meth:`stop`."""

    options: StackOptions = field(default_factory=StackOptions)
    say: Say = print
    warn: Say = print

    run_dir: Path | None = None
    broker: TansuBroker | None = None
    bootstrap: str = ""
    broker_source: str = ""
    kafka_idempotence: bool = False
    postgres: LocalPostgres | None = None
    server_dsn: str = ""
    postgres_source: str = ""
    services: list[ServiceProcess] = field(default_factory=list)
    _temp_run_dir: bool = False
    _stopping: bool = False

    # -- start -------------------------------------------------------------------------------

    def start_infrastructure(self) -> None:
        self._make_run_dir()
        self._start_broker()
        self._start_postgres()

    def _make_run_dir(self) -> None:
        if self.options.data_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="pantau-dev-", dir="/tmp"))
            self._temp_run_dir = True
        else:
            self.run_dir = self.options.data_dir.resolve()
            self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)  # the PostgreSQL user must be able to reach its cluster
        (self.run_dir / "logs").mkdir(exist_ok=True)

    @property
    def logs_dir(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "logs"

    def _start_broker(self) -> None:
        from_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if from_env:
            self.bootstrap, self.broker_source = from_env, "environment"
            self.kafka_idempotence = (
                os.environ.get("KAFKA_IDEMPOTENCE", "true").lower() not in _FALSE
            )
            self.say(f"Broker from KAFKA_BOOTSTRAP_SERVERS: {from_env}")
            return
        wanted = self.options.broker_port
        port = self._pick_port(wanted, "broker") if wanted else free_port(HOST)
        self.broker = TansuBroker(log_path=self.logs_dir / "tansu.log").start(port)
        self.bootstrap, self.broker_source = self.broker.bootstrap, "tansu (in memory)"
        self.kafka_idempotence = False  # Tansu cannot do idempotent producers
        self.say(f"Tansu broker listening on {self.bootstrap}")

    def _start_postgres(self) -> None:
        from_env = os.environ.get("DATABASE_URL")
        if from_env:
            self.server_dsn, self.postgres_source = from_env, "environment"
            self.say("PostgreSQL from DATABASE_URL")
            return
        assert self.run_dir is not None
        cluster_dir = self.run_dir / "postgres"
        if cluster_dir.exists():
            if not (cluster_dir / _MARKER).exists():
                raise StackError(f"{cluster_dir} exists and was not made by pantau dev")
            # The broker keeps nothing between runs, so neither may the databases.
            shutil.rmtree(cluster_dir)
        self.postgres = LocalPostgres(data_dir=cluster_dir).start()
        (cluster_dir / _MARKER).write_text("a throw-away cluster of `pantau dev`\n")
        self.server_dsn = self.postgres.dsn()
        self.postgres_source = (
            f"local cluster ({self.postgres.binaries.source} binaries, "
            f"{self.postgres.binaries.bin_dir})"
        )
        self.say(f"PostgreSQL listening on {HOST}:{self.postgres.port}")

    def _pick_port(self, wanted: int, what: str) -> int:
        taken = {s.port for s in self.services}
        for port in range(wanted, min(wanted + 200, 65_536)):
            if port not in taken and port_is_free(port, HOST):
                if port != wanted:
                    self.warn(f"port {wanted} is busy: {what} uses {port} instead")
                return port
        raise StackError(f"no free port for {what} from {wanted}")

    async def prepare(self) -> None:
        """Topics with explicit partitions; one database per service, migrated."""
        await ensure_topics(self.bootstrap, all_topics())
        self.say(f"Topics ready: {len(all_topics())} (dead-letter topics included)")
        for service in catalog.discover():
            name = service.database_name
            await create_database(self.server_dsn, name, exist_ok=True)
            dsn = replace_database(self.server_dsn, name)
            applied = await migrate(dsn, service.package if service.has_migrations else None)
            self.say(
                f"Database {name}: "
                + (f"applied {len(applied)} migrations" if applied else "up to date")
            )

    def spawn_services(self) -> None:
        chosen = self._chosen_services()
        for service in chosen:
            port = self._pick_port(service.default_port + self.options.port_offset, service.name)
            self.services.append(
                ServiceProcess(
                    service=service,
                    port=port,
                    database_url=replace_database(self.server_dsn, service.database_name),
                    log_path=self.logs_dir / f"{service.name}.log",
                )
            )
        env = self.service_env()
        for running in self.services:
            log = running.log_path.open("ab")
            try:
                running.proc = subprocess.Popen(
                    [sys.executable, "-m", "pantau.cli", "serve", running.name],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # Ctrl-C reaches only us; we stop them in order
                    preexec_fn=die_with_parent,
                )
            finally:
                log.close()
            self.say(f"Started {running.name} (pid {running.proc.pid}) on {running.url}")

    def _chosen_services(self) -> list[Service]:
        runnable = catalog.runnable()
        if self.options.only is None:
            return runnable
        by_name = {s.name: s for s in runnable}
        missing = [n for n in self.options.only if n not in by_name]
        if missing:
            raise StackError(f"cannot run {', '.join(missing)}: no such service with an app.py")
        return [by_name[n] for n in self.options.only]

    def service_env(self) -> dict[str, str]:
        """The environment every service process gets: its ``<NAME>_*`` settings and peers' URLs."""
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env[DEV_MODE_VARIABLE] = "1"  # development secrets are fine here, and only here
        for running in self.services:
            prefix = running.service.env_prefix
            env[f"{prefix}DATABASE_URL"] = running.database_url
            env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
            env[f"{prefix}KAFKA_IDEMPOTENCE"] = "true" if self.kafka_idempotence else "false"
            env[f"{prefix}HOST"] = HOST
            env[f"{prefix}PORT"] = str(running.port)
            env[f"PANTAU_{running.name.upper()}_URL"] = running.url
        return env

    async def wait_ready(self, on_progress: Callable[[ServiceProcess, str], None]) -> bool:
        """Poll every service's ``/health/ready``; True when all answered 200."""
        deadline = time.monotonic() + self.options.ready_timeout
        pending = [s for s in self.services]
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for running in list(pending):
                    if not running.alive():
                        on_progress(running, f"exited with code {running.exit_code()}")
                        pending.remove(running)
                        continue
                    detail = await self._probe(client, running)
                    if running.ready:
                        pending.remove(running)
                    on_progress(running, detail)
                if pending:
                    await asyncio.sleep(0.3)
        for running in pending:
            on_progress(running, f"not ready after {self.options.ready_timeout:.0f}s")
        return all(s.ready for s in self.services)

    async def _probe(self, client: httpx.AsyncClient, running: ServiceProcess) -> str:
        try:
            response = await client.get(f"{running.url}/health/ready")
        except httpx.HTTPError:
            return "starting"
        if response.status_code == 200:
            running.ready = True
            return "ready"
        return f"not ready ({response.status_code}: {response.text[:120]})"

    # -- run ---------------------------------------------------------------------------------

    def deaths(self) -> list[ServiceProcess]:
        """Services that died since the last call (each reported once)."""
        dead = []
        for running in self.services:
            if running.proc is not None and not running.alive() and not running.exit_reported:
                running.exit_reported = True
                dead.append(running)
        return dead

    def broker_died(self) -> bool:
        return self.broker is not None and not self.broker.running()

    # -- stop --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Services first (SIGTERM, then SIGKILL), then the broker, then PostgreSQL."""
        if self._stopping:
            return
        self._stopping = True
        for running in self.services:
            if running.alive() and running.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    running.proc.terminate()
        deadline = time.monotonic() + self.options.stop_timeout
        for running in self.services:
            if running.proc is None:
                continue
            try:
                running.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.warn(f"{running.name} ignored SIGTERM; killing it")
                terminate(running.proc, timeout=1)
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self._temp_run_dir and self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
