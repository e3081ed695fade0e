"""The whole system on one machine: broker, PostgreSQL, databases, topics, migrations, services.

This is the engine behind ``pantau dev``; presentation lives in :mod:`pantau.dev`. Infrastructure
comes from the environment when given (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``), else a
Tansu broker and a fresh PostgreSQL cluster are started. Every service package with an ``app.py``
is started as its own process (``python -m pantau.cli serve NAME``) with ``<NAME>_*`` settings;
``province_node`` adds a second reporting process scoped to one province, with its own database,
consumer group and port. A process that dies is restarted with backoff (:class:`RestartPolicy`)
until it dies quickly too often. What the services were given is published in the env file of
:mod:`pantau.local.discovery`, so that commands run beside ``pantau dev`` find it.
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
from pantau.local import discovery
from pantau.local.postgres import LocalPostgres, create_database, replace_database
from pantau.local.procs import die_with_parent, free_port, port_is_free, terminate
from pantau.local.tansu import TansuBroker
from shared.areas import area_level, areas
from shared.contract.topics import all_topics
from shared.kafka import ensure_topics
from shared.migrations import migrate
from shared.settings import DEV_MODE_VARIABLE

HOST = "127.0.0.1"
_FALSE = {"0", "false", "no", "off"}
_MARKER = ".pantau-dev"
PROVINCE_NODE_PORT_STEP = 10  # a province node listens on reporting's port + 10 (8014)

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
    province_node: str | None = None  # e.g. "53": a second reporting node scoped to it
    write_env_file: bool = True  # publish the settings for commands run beside (discovery)


def check_province_node(code: str) -> None:
    """:class:`StackError` unless ``code`` is a province a reporting node can be scoped to."""
    if code not in areas() or area_level(code) != "province":
        raise StackError(f"--province-node takes a province code such as 53, not {code!r}")
    if not any(s.name == "reporting" for s in catalog.runnable()):
        raise StackError("--province-node needs the reporting service, which has no app.py")


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead service is started again, and when ``pantau dev`` stops trying.

    A death within ``quick_seconds`` of the process's start is a quick one; the delay doubles
    with each quick death in a row (from ``first_delay`` up to ``max_delay``), and after
    ``give_up_after`` of them the service is left dead. A death after a longer run starts over.
    """

    first_delay: float = 1.0
    max_delay: float = 30.0
    quick_seconds: float = 60.0
    give_up_after: int = 5

    def delay(self, quick_deaths: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2 ** max(0, quick_deaths - 1)))


@dataclass
class ServiceProcess:
    """One running (or failed) service process, and its restart bookkeeping."""

    service: Service
    port: int
    database_url: str
    log_path: Path
    label: str = ""  # shown name; default the service's ("reporting-53" for a province node)
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's service_env()
    argv: list[str] | None = None  # default: python -m pantau.cli serve NAME
    proc: subprocess.Popen[bytes] | None = None
    ready: bool = False
    exit_reported: bool = False
    started_at: float = 0.0
    quick_deaths: int = 0  # deaths in a row, each soon after its start
    restarts: int = 0
    restart_at: float | None = None  # monotonic time of the next start, while dead
    gave_up: bool = False

    @property
    def name(self) -> str:
        return self.label or self.service.name

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Death:
    """A service process found dead: when it restarts (``restart_in`` s), or None: given up."""

    running: ServiceProcess
    exit_code: int | None
    uptime: float
    restart_in: float | None


@dataclass
class DevStack:
    """Start with :meth:`start`, watch with :meth:`watch`, always finish with :meth:`stop`."""

    options: StackOptions = field(default_factory=StackOptions)
    say: Say = print
    warn: Say = print
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    clock: Callable[[], float] = time.monotonic

    run_dir: Path | None = None
    broker: TansuBroker | None = None
    bootstrap: str = ""
    broker_source: str = ""
    kafka_idempotence: bool = False
    postgres: LocalPostgres | None = None
    server_dsn: str = ""
    postgres_source: str = ""
    services: list[ServiceProcess] = field(default_factory=list)
    env_file: Path | None = None  # written by publish_env(), removed by stop()
    _base_env: dict[str, str] = field(default_factory=dict)
    _temp_run_dir: bool = False
    _stopping: bool = False

    # -- start -------------------------------------------------------------------------------

    def start_infrastructure(self) -> None:
        self._check_province_node()
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

    def _check_province_node(self) -> None:
        if self.options.province_node is not None:
            check_province_node(self.options.province_node)

    @property
    def province_database(self) -> str | None:
        code = self.options.province_node
        return None if code is None else f"{catalog.get('reporting').database_name}_{code}"

    async def prepare(self) -> None:
        """Topics with explicit partitions; one database per service (and node), migrated."""
        await ensure_topics(self.bootstrap, all_topics())
        self.say(f"Topics ready: {len(all_topics())} (dead-letter topics included)")
        databases = [(s.database_name, s) for s in catalog.discover()]
        if self.province_database is not None:
            databases.append((self.province_database, catalog.get("reporting")))
        for name, service in databases:
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
        if self.options.province_node is not None:
            self.services.append(self._province_node())
        self._base_env = self.service_env()
        for running in self.services:
            self._spawn(running)
            self.say(f"Started {running.name} (pid {running.pid}) on {running.url}")
        if self.options.write_env_file:
            self.publish_env()

    def _province_node(self) -> ServiceProcess:
        """A second reporting node holding one province: own database, group and port."""
        code = self.options.province_node
        assert code is not None and self.province_database is not None
        service = catalog.get("reporting")
        label = f"{service.name}-{code}"
        port = self._pick_port(
            service.default_port + PROVINCE_NODE_PORT_STEP + self.options.port_offset, label
        )
        database_url = replace_database(self.server_dsn, self.province_database)
        prefix = service.env_prefix
        return ServiceProcess(
            service=service,
            port=port,
            database_url=database_url,
            log_path=self.logs_dir / f"{label}.log",
            label=label,
            env={
                f"{prefix}DATABASE_URL": database_url,
                f"{prefix}KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                f"{prefix}KAFKA_IDEMPOTENCE": "true" if self.kafka_idempotence else "false",
                f"{prefix}HOST": HOST,
                f"{prefix}SCOPE": code,
                f"{prefix}CONSUMER_GROUP": f"{service.name}-{code}",
                f"{prefix}PORT": str(port),
                # Agencies get one publication per area: the national node's.
                f"{prefix}PUBLISH_ENABLED": "false",
            },
        )

    def _spawn(self, running: ServiceProcess) -> None:
        log = running.log_path.open("ab")
        argv = running.argv or [sys.executable, "-m", "pantau.cli", "serve", running.service.name]
        try:
            running.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**(self._base_env or self.service_env()), **running.env},
                start_new_session=True,  # Ctrl-C reaches only us; we stop them in order
                preexec_fn=die_with_parent,
            )
        finally:
            log.close()
        running.started_at = self.clock()
        running.ready = False
        running.exit_reported = False
        running.restart_at = None

    def published_env(self) -> dict[str, str]:
        """What commands run beside ``pantau dev`` need to find it (see discovery)."""
        idempotence = "true" if self.kafka_idempotence else "false"
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_IDEMPOTENCE": idempotence,
            DEV_MODE_VARIABLE: "1",
        }
        secret = os.environ.get("PANTAU_TOKEN_SECRET")
        if secret:  # tokens from `pantau token` must verify at these services
            env["PANTAU_TOKEN_SECRET"] = secret
        for service in catalog.discover():
            prefix = service.env_prefix
            env[f"{prefix}DATABASE_URL"] = replace_database(self.server_dsn, service.database_name)
            env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
            env[f"{prefix}KAFKA_IDEMPOTENCE"] = idempotence
        for running in self.services:
            if running.label:
                continue
            env[discovery.service_url_key(running.name)] = running.url
        node = next((s for s in self.services if s.label), None)
        if node is not None and self.options.province_node is not None:
            env[discovery.PROVINCE_NODE_KEY] = self.options.province_node
            env[discovery.PROVINCE_NODE_URL_KEY] = node.url
            env[discovery.PROVINCE_NODE_DATABASE_KEY] = node.database_url
        return env

    def publish_env(self) -> None:
        """Write the env file, unless another live ``pantau dev`` owns it."""
        path = discovery.env_file()
        other = discovery.read(path)
        if other is not None and other.pid != os.getpid():
            self.warn(
                f"another pantau dev (pid {other.pid}) wrote {path}: commands run beside "
                f"will find that one, not this one"
            )
            return
        try:
            self.env_file = discovery.write(self.published_env(), path)
        except OSError as exc:
            self.warn(f"cannot write {path} ({exc}); other commands will not find this system")
            return
        self.say(f"Settings for the commands run beside: {self.env_file}")

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
            if running.label:  # a second node of a service: its settings are its own
                continue
            prefix = running.service.env_prefix
            env[f"{prefix}DATABASE_URL"] = running.database_url
            env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
            env[f"{prefix}KAFKA_IDEMPOTENCE"] = "true" if self.kafka_idempotence else "false"
            env[f"{prefix}HOST"] = HOST
            env[f"{prefix}PORT"] = str(running.port)
            env[discovery.service_url_key(running.name)] = running.url
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

    def deaths(self) -> list[Death]:
        """Services that died since the last call (each reported once), with what happens next:
        a restart after a delay that doubles with each quick death, or, after too many, none."""
        now, policy = self.clock(), self.restart_policy
        found = []
        for running in self.services:
            if running.proc is None or running.alive() or running.exit_reported:
                continue
            running.exit_reported = True
            running.ready = False
            uptime = now - running.started_at
            quick = uptime < policy.quick_seconds
            running.quick_deaths = running.quick_deaths + 1 if quick else 0
            if running.quick_deaths >= policy.give_up_after or self._stopping:
                running.gave_up = True
                found.append(Death(running, running.exit_code(), uptime, None))
                continue
            delay = policy.delay(running.quick_deaths)
            running.restart_at = now + delay
            found.append(Death(running, running.exit_code(), uptime, delay))
        return found

    def restart_due(self) -> list[ServiceProcess]:
        """Start again every dead service whose backoff has passed; return them."""
        now, started = self.clock(), list[ServiceProcess]()
        for running in self.services:
            if self._stopping or running.restart_at is None or running.restart_at > now:
                continue
            running.restarts += 1
            self._spawn(running)
            started.append(running)
        return started

    async def newly_ready(self, client: httpx.AsyncClient) -> list[ServiceProcess]:
        """Restarted services that answer ``/health/ready`` now (each reported once)."""
        found: list[ServiceProcess] = []
        for running in self.services:
            if running.restarts and running.alive() and not running.ready:
                await self._probe(client, running)
                if running.ready:
                    found.append(running)
        return found

    def broker_died(self) -> bool:
        return self.broker is not None and not self.broker.running()

    # -- stop --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Services first (SIGTERM, then SIGKILL), then the broker, then PostgreSQL."""
        if self._stopping:
            return
        self._stopping = True
        if self.env_file is not None:
            discovery.remove(self.env_file)
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
            self._keep_logs()
            shutil.rmtree(self.run_dir, ignore_errors=True)

    @property
    def kept_logs_dir(self) -> Path | None:
        """Where the logs of a throw-away run dir are kept when it stops: ``logs/`` beside the
        env file (``.pantau/logs/`` of the checkout, replaced by the next run's); None when the
        logs stay where they are (``--data-dir``) or go (no env file: not a user's run)."""
        if not self._temp_run_dir or self.env_file is None:
            return None
        return self.env_file.parent / "logs"

    def _keep_logs(self) -> None:
        kept = self.kept_logs_dir
        if kept is None or self.run_dir is None or not self.logs_dir.is_dir():
            return
        try:
            shutil.rmtree(kept, ignore_errors=True)
            shutil.move(self.logs_dir, kept)
        except OSError as exc:
            self.warn(f"cannot keep the logs in {kept} ({exc})")
            return
        self.say(f"Logs kept in {kept}")
