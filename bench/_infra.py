"""Infrastructure for benchmarks: the broker and PostgreSQL from the environment, else local ones.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` (a server on which databases may be created) are
used when set; otherwise an embedded Tansu broker and a throw-away PostgreSQL cluster (fsync on,
as a real server would run) are started and stopped again.

Also what several benchmarks share: a service as a real server on a fresh database
(:func:`service_env`, :func:`service_process`), ``wrk`` posting slices of prepared requests
(:data:`WRK_SLICES`, :data:`WRK_SUMMARY`, :func:`wrk_files`, :func:`start_wrk`,
:func:`wrk_until_read`), and reading a run's events back (:func:`start_offsets`,
:class:`EventCounter`, :func:`outbox_drained`).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from pantau.local.postgres import LocalPostgres, create_database, replace_database
from pantau.local.procs import terminate
from pantau.local.tansu import TansuBroker
from shared.settings import DEV_MODE_VARIABLE

RESULTS = Path(__file__).parent / "results"

# Benchmarks run services (`pantau serve`) on throw-away infrastructure with the development
# secrets, which `pantau serve` refuses outside development mode.
os.environ.setdefault(DEV_MODE_VARIABLE, "1")


@dataclass
class BenchInfra:
    bootstrap: str
    server_dsn: str
    idempotence: bool
    broker_kind: str
    postgres_kind: str

    async def fresh_database(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        await create_database(self.server_dsn, name)
        return replace_database(self.server_dsn, name)


@contextmanager
def bench_infra() -> Iterator[BenchInfra]:
    broker: TansuBroker | None = None
    postgres: LocalPostgres | None = None
    try:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap is None:
            broker = TansuBroker()
            broker.start()
            bootstrap = broker.bootstrap
        server_dsn = os.environ.get("DATABASE_URL")
        if server_dsn is None:
            postgres = LocalPostgres(fsync=True).start()
            server_dsn = postgres.dsn()
        yield BenchInfra(
            bootstrap=bootstrap,
            server_dsn=server_dsn,
            # Tansu cannot do idempotent producers; Apache Kafka (given in the env) can.
            idempotence=broker is None,
            broker_kind="tansu (embedded)" if broker else f"env {bootstrap}",
            postgres_kind=f"local {postgres.binaries.version()}" if postgres else "env",
        )
    finally:
        if postgres is not None:
            postgres.stop()
        if broker is not None:
            broker.stop()


def service_env(
    service: str, infra: BenchInfra, dsn: str, port: int, **settings: str
) -> dict[str, str]:
    """The environment of ``pantau serve SERVICE`` on ``dsn`` (migrated already) and the broker,
    logging warnings only; ``settings`` are more of the service's (without its prefix)."""
    prefix = service.upper()
    common = {
        "DATABASE_URL": dsn,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "KAFKA_IDEMPOTENCE": str(infra.idempotence).lower(),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "MIGRATE_ON_START": "false",
    }
    return {**os.environ, **{f"{prefix}_{k}": v for k, v in {**common, **settings}.items()}}


@asynccontextmanager
async def service_process(
    service: str, env: dict[str, str], port: int, command: Sequence[str] | None = None
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``pantau serve SERVICE --port PORT`` (or ``command``) with ``env``, as deployed (its log in
    ``bench/results/<service>-server.log``), once ``/health/ready`` answers 200; stopped after.
    RuntimeError when it exits or is not ready within 30 seconds."""
    log_path = RESULTS / f"{service}-server.log"
    serve = [sys.executable, "-m", "pantau.cli", "serve", service, "--port", str(port)]
    server = _start(command or serve, env, log_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as probe:
            for _ in range(300):
                try:
                    if (await probe.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError(f"{service} exited (see {log_path})")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{service} did not become ready (see {log_path})")
        yield server
    finally:
        terminate(server)


def _start(command: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    RESULTS.mkdir(exist_ok=True)
    with open(log, "ab") as stderr:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


async def outbox_drained(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 60
        while await conn.fetchval("SELECT count(*) FROM outbox"):
            if time.monotonic() > deadline:
                raise RuntimeError("the relay did not drain the outbox")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def start_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """End offsets, read while the topic is quiet (right after a produce Tansu may say less)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


class EventCounter:
    """Counts ``event_type`` records (``worker-registered``) from given offsets on, noting when
    the last came.

    With a ``marker`` (a run's unique correlation id) only records containing it count: the
    start offsets may be too low (Tansu) and must not let a warm-up's events in.
    """

    def __init__(
        self,
        bootstrap: str,
        offsets: dict[TopicPartition, int],
        marker: str | None = None,
        event_type: str = "worker-registered",
    ) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._offsets = offsets
        self._marker = marker.encode() if marker else None
        self._type = event_type.encode()
        self.count = 0
        self.last_read = time.perf_counter()
        self.subjects: set[str] = set()
        self.keep_subjects = False

    async def __aenter__(self) -> EventCounter:
        await self._consumer.start()
        self._consumer.assign(list(self._offsets))
        for tp, offset in self._offsets.items():
            self._consumer.seek(tp, offset)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def poll(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=100, max_records=10_000)
        for records in batch.values():
            for record in records:
                if dict(record.headers).get("event-type") != self._type:
                    continue
                if self._marker is None or self._marker in bytes(record.value or b""):
                    self.count += 1
                    self.last_read = time.perf_counter()
                    if self.keep_subjects and record.key is not None:
                        self.subjects.add(bytes(record.key).decode())

    async def until(self, done: Callable[[], bool], *, within: float) -> None:
        deadline = time.monotonic() + within
        while not done() and time.monotonic() < deadline:
            await self.poll()


# wrk: each thread posts the lines of its own slice file (slice-<n>.<ext>); a script is
# "-- <what made it>" + WRK_SLICES + its own init() and request() + WRK_SUMMARY, filled in with
# ``%`` (``%(dir)s`` the slices' folder, where the summary is written too).
WRK_SLICES = """local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("slice", threads)
end
"""
WRK_SUMMARY = """function done(summary, latency, requests)
  local out = io.open("%(dir)s/summary.json", "w")
  out:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "connect_errors": %%d, '
    .. '"read_errors": %%d, "write_errors": %%d, "timeouts": %%d, '
    .. '"p50_us": %%d, "p99_us": %%d, "max_us": %%d}',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  out:close()
end
"""


def wrk_files(
    lines: Sequence[str],
    threads: int,
    workdir: Path,
    *,
    ext: str,
    name: str,
    script: str,
    **values: object,
) -> tuple[Path, Path]:
    """One slice of ``lines`` per wrk thread (``slice-<n>.<ext>``) and the script ``name``
    (``script`` filled in with ``dir`` and ``values``): (script, summary file, not there yet)."""
    workdir.mkdir(parents=True, exist_ok=True)
    size = -(-len(lines) // threads)
    for t in range(threads):
        with open(workdir / f"slice-{t + 1}.{ext}", "w") as out:
            for line in lines[t * size : (t + 1) * size]:
                out.write(line + "\n")
    path = workdir / name
    path.write_text(script % {"dir": workdir, **values})
    summary = workdir / "summary.json"
    summary.unlink(missing_ok=True)
    return path, summary


async def start_wrk(
    wrk: str, url: str, script: Path, *, seconds: float, threads: int, connections: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.DEVNULL,
    )


async def wrk_until_read(
    process: asyncio.subprocess.Process, summary_file: Path, events: EventCounter
) -> tuple[dict[str, Any], float]:
    """Read events while wrk runs, then until every accepted request's event is read (at most
    two minutes) and a second more (requests in flight when wrk stopped may have been served
    too): (wrk's summary, when wrk ended)."""
    wait = asyncio.create_task(process.wait())
    while not wait.done():
        await events.poll()
    http_done = time.perf_counter()
    summary = _summary(summary_file) if await wait == 0 else None
    if summary is None:
        raise RuntimeError("wrk failed")
    accepted = summary["requests"] - summary["non_2xx"]
    await events.until(lambda: events.count >= accepted, within=120)
    await events.until(lambda: False, within=1.0)
    return summary, http_done


def _summary(path: Path) -> dict[str, Any] | None:
    """wrk's summary (written by WRK_SUMMARY's ``done``), None when there is none."""
    if not path.exists():
        return None
    summary: dict[str, Any] = json.loads(path.read_text())
    return summary


def wrk_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """What every wrk run reports from wrk's own summary."""
    return {
        "requests": summary["requests"],
        "accepted": summary["requests"] - summary["non_2xx"],
        "non_2xx": summary["non_2xx"],
        "socket_errors": sum(
            summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        "http_per_second": summary["requests"] / (summary["duration_us"] / 1e6),
        "latency_p50_ms": summary["p50_us"] / 1000,
        "latency_p99_ms": summary["p99_us"] / 1000,
    }


def _cpu_seconds(stat: str) -> tuple[str, float]:
    """(parent pid, user + system CPU seconds) from a ``/proc/<pid>/stat`` line."""
    fields = stat.rsplit(")", 1)[1].split()  # the command, in parentheses, may hold spaces
    return fields[1], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far; 0 without Linux /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent, seconds = _cpu_seconds(stat.read_text())
        except OSError:
            continue
        if stat.parent.name == str(pid) or parent == str(pid):
            total += seconds
    return total


def command_cpu_seconds(fragment: str) -> float:
    """CPU time so far of every process whose command line contains ``fragment`` (Linux)."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if fragment.encode() not in (proc / "cmdline").read_bytes():
                continue
            total += _cpu_seconds((proc / "stat").read_text())[1]
        except OSError:
            continue
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (Linux /proc)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / ticks, sum(values) / ticks


def machine_speed(directory: Path) -> dict[str, float]:
    """Two yardsticks for comparing runs made on different machines (or the same one on a
    busier day): a pure-Python loop on one core and a synced 8 KiB write in ``directory``
    (PostgreSQL's commit path). Lower is faster; each is the best of a few tries."""
    loop_ns = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        loop_ns = min(loop_ns, (time.perf_counter() - started) / 2_000_000 * 1e9)
    path = directory / f".fsync-{uuid.uuid4().hex[:8]}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"\0" * 8192
        started = time.perf_counter()
        for _ in range(100):
            os.write(fd, block)
            os.fsync(fd)
        fsync_ms = (time.perf_counter() - started) / 100 * 1e3
    finally:
        os.close(fd)
        path.unlink()
    return {"python_loop_ns": loop_ns, "fsync_8k_ms": fsync_ms}
