"""Infrastructure for benchmarks: the broker and PostgreSQL from the environment, else local ones.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` (a server on which databases may be created) are
used when set; otherwise an embedded Tansu broker and a throw-away PostgreSQL cluster (fsync on,
as a real server would run) are started and stopped again.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

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


@asynccontextmanager
async def service_process(
    service: str, env: dict[str, str], port: int
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``pantau serve SERVICE --port PORT`` with ``env``, as deployed (its log in
    ``bench/results/<service>-server.log``), once ``/health/ready`` answers 200; stopped after.
    RuntimeError when it exits or is not ready within 30 seconds."""
    log_path = RESULTS / f"{service}-server.log"
    server = _serve(service, env, port, log_path)
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


def _serve(service: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    RESULTS.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "pantau.cli", "serve", service, "--port", str(port)]
    with open(log, "ab") as stderr:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


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
