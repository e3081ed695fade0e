"""Infrastructure for benchmarks: the broker and PostgreSQL from the environment, else local ones.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` (a server on which databases may be created) are
used when set; otherwise an embedded Tansu broker and a throw-away PostgreSQL cluster (fsync on,
as a real server would run) are started and stopped again.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pantau.local.postgres import LocalPostgres, create_database, replace_database
from pantau.local.tansu import TansuBroker
from shared.settings import DEV_MODE_VARIABLE

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
