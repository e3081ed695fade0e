"""Where the tests' broker and PostgreSQL come from: environment, Docker, or local processes.

Resolution order, for each of the two independently:
1. the environment: ``KAFKA_BOOTSTRAP_SERVERS`` (idempotent producers unless
   ``KAFKA_IDEMPOTENCE=false``), ``DATABASE_URL`` (a server on which we may CREATE DATABASE);
2. testcontainers, only when a Docker daemon answers a ping;
3. a local Tansu broker (``kafka_idempotence=False``) and a throw-away PostgreSQL cluster.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pantau.local.postgres import LocalPostgres
from pantau.local.tansu import TansuBroker

_FALSE = {"0", "false", "no", "off"}


@cache
def docker_available() -> bool:
    """True only when a Docker daemon answers right now (any failure means no)."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@dataclass
class Endpoint:
    """A running broker or server and how to get rid of it."""

    address: str  # bootstrap "host:port" or a PostgreSQL DSN
    source: str  # "env" | "docker" | "local"
    idempotence: bool = True
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            with contextlib.suppress(Exception):
                stop()


def start_kafka(logs_dir: Path | None = None) -> Endpoint:
    from_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if from_env:
        idempotence = os.environ.get("KAFKA_IDEMPOTENCE", "true").lower() not in _FALSE
        return Endpoint(from_env, "env", idempotence)
    if docker_available():
        try:
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:  # testcontainers < 4.14
            from testcontainers.kafka import KafkaContainer

        container = KafkaContainer().with_kraft()
        container.start()
        return Endpoint(container.get_bootstrap_server(), "docker", True, container.stop)
    log_path = (logs_dir or Path(tempfile.mkdtemp(prefix="pantau-test-"))) / "tansu.log"
    broker = TansuBroker(log_path=log_path).start()
    return Endpoint(broker.bootstrap, "local", False, broker.stop)


def start_postgres() -> Endpoint:
    from_env = os.environ.get("DATABASE_URL")
    if from_env:
        return Endpoint(from_env, "env")
    if docker_available():
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers < 4.14
            from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
        return Endpoint(container.get_connection_url(), "docker", _stop=container.stop)
    cluster = LocalPostgres().start()
    return Endpoint(cluster.dsn(), "local", _stop=cluster.stop)
