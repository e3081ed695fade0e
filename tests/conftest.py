"""Session fixtures: a real Kafka-protocol broker and a real PostgreSQL server for the tests.

Each comes from the environment (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``), else from
testcontainers when a Docker daemon answers, else from local processes (Tansu and a throw-away
cluster; see tests/support/infra.py). Both start lazily: a test that needs neither starts neither.

- ``kafka_bootstrap``: "host:port", every topic of ``all_topics()`` created with its partitions.
- ``kafka_idempotence``: whether idempotent producers work there (False for Tansu).
- ``pg_server_dsn``: a server on which tests may CREATE DATABASE.
- ``make_database``: ``await make_database("services.registry") -> dsn`` of a fresh database with
  shared + that service's migrations applied.
- ``service_settings``: ``service_settings(RegistrySettings, database_url=dsn)`` pointed at the
  test broker (short consumer-group session timeout: Tansu makes a join wait half of it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import pytest_asyncio

from pantau.local.postgres import create_database, replace_database
from shared.contract.topics import all_topics
from shared.kafka import ensure_topics
from shared.migrations import migrate
from shared.settings import DEV_MODE_VARIABLE, ServiceSettings
from tests.support.infra import Endpoint, start_kafka, start_postgres

# The tests run on the repository's development secrets, as `pantau dev` does; the tests of the
# refusal of weak secrets unset this themselves.
os.environ.setdefault(DEV_MODE_VARIABLE, "1")

S = TypeVar("S", bound=ServiceSettings)
MakeDatabase = Callable[..., Awaitable[str]]

_INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


def pytest_configure(config: pytest.Config) -> None:
    # Commands under test must not find a `pantau dev` the developer runs beside the tests
    # (pantau/local/discovery.py); tests that want one write their own file.
    os.environ["PANTAU_DEV_ENV_FILE"] = os.path.join(
        tempfile.mkdtemp(prefix="pantau-test-"), "no-pantau-dev.env"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    # A SIGTERM'd run should still tear its fixtures down (a daemonised PostgreSQL would linger).
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def _kafka_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    endpoint = start_kafka(tmp_path_factory.mktemp("broker"))
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kafka_bootstrap(_kafka_endpoint: Endpoint) -> str:
    await ensure_topics(_kafka_endpoint.address, all_topics())
    return _kafka_endpoint.address


@pytest.fixture(scope="session")
def kafka_idempotence(_kafka_endpoint: Endpoint) -> bool:
    return _kafka_endpoint.idempotence


@pytest.fixture(scope="session")
def _pg_endpoint() -> Iterator[Endpoint]:
    endpoint = start_postgres()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture(scope="session")
def pg_server_dsn(_pg_endpoint: Endpoint) -> str:
    return _pg_endpoint.address


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def make_database(pg_server_dsn: str, _pg_endpoint: Endpoint) -> AsyncIterator[MakeDatabase]:
    created: list[str] = []

    async def factory(service_package: str | None = None) -> str:
        short = (service_package or "shared").rsplit(".", 1)[-1]
        name = f"t_{short}_{uuid.uuid4().hex[:12]}"
        await create_database(pg_server_dsn, name)
        created.append(name)
        dsn = replace_database(pg_server_dsn, name)
        await migrate(dsn, service_package)
        return dsn

    yield factory

    # A throw-away cluster disappears as a whole; on a shared server, clean up after ourselves.
    if _pg_endpoint.source != "local" and not os.environ.get("PANTAU_TEST_KEEP_DATABASES"):
        conn = await asyncpg.connect(pg_server_dsn)
        try:
            for name in created:
                # best effort: a leftover database harms nobody
                with contextlib.suppress(Exception):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
def service_settings(kafka_bootstrap: str, kafka_idempotence: bool) -> Callable[..., Any]:
    def factory(cls: type[S], **overrides: Any) -> S:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "kafka_idempotence": kafka_idempotence,
            "kafka_session_timeout_ms": 2_000,
            "relay_poll_seconds": 0.1,
            "log_json": True,
        }
        values.update(overrides)
        return cls(**values)

    return factory
