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
