"""Transactional outbox, publishing side: one relay per database moves outbox rows to Kafka.

Guarantees (see ``shared/sql/001_outbox.sql``):

* One active relay per database: it holds a PostgreSQL advisory lock on its own connection; any
  other relay waits as a standby and takes over when that session ends.
* At least once: a batch is deleted only after the broker acknowledged every record of it; a
  crash between the two republishes the batch later, and consumers deduplicate on the event id.
* Nothing is skipped: every loop reads the lowest unpublished positions, with no high-water mark,
  so a transaction that got a low position but committed late is published on a later pass.
* Per-subject order: writers commit one subject's rows in sequence order, the relay sends in
  position order, and the producer keeps one batch in flight per partition; a failed batch is
  retried whole, in order.
* Broker outages: the relay backs off (capped), recreates its producer and retries; writers are
  never blocked, rows simply wait in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.contract.topics import all_topics
from shared.kafka import ensure_topics, make_producer
from shared.logging import get_logger
from shared.metrics import (
    OUTBOX_LAG,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
    OUTBOX_RELAY_ACTIVE,
)
from shared.settings import ServiceSettings

log = get_logger(__name__)

RELAY_LOCK_ID = 7_261_002  # arbitrary, constant: advisory locks are per database already
MAX_BACKOFF_SECONDS = 5.0
_FIRST_BACKOFF_SECONDS = 0.2

_SELECT = (
    "SELECT position, event_id, topic, key, event_type, payload, headers"
    " FROM outbox ORDER BY position LIMIT $1"
)
_DELETE = "DELETE FROM outbox WHERE position = ANY($1::bigint[])"

# Errors after which the database connection is dropped and opened again.
_DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
)


class PublishFailed(Exception):
    """Some record of a batch was not acknowledged: the whole batch stays in the outbox."""


AfterPublishHook = Callable[[Sequence[int]], Awaitable[None]]


class OutboxRelay:
    """Publishes a database's outbox to Kafka; run one per service process (standbys are fine)."""

    def __init__(
        self,
        dsn: str,
        settings: ServiceSettings,
        *,
        batch_size: int | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        self.dsn = dsn
        self.settings = settings
        self.batch_size = batch_size or settings.relay_batch_size
        self.poll_seconds = poll_seconds or settings.relay_poll_seconds
        self.published = 0
        self.publish_failures = 0
        self.active = False
        self._service = settings.service
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._topics_ensured = False
        self._failures = 0
        # Test seams: awaited after the broker acknowledged a batch and before it is deleted;
        # producer options (e.g. a shorter request timeout to see an outage sooner).
        self._after_publish: AfterPublishHook | None = None
        self._producer_overrides: dict[str, object] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Run the relay as a background task of the current event loop."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self._service}")

    async def stop(self) -> None:
        """Stop the relay; a batch in flight is abandoned and republished by the next relay."""
        self._stopping.set()
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Relay in the foreground until :meth:`stop` (or cancellation)."""
        self._stopping.clear()
        try:
            while not self._stopping.is_set():
                conn: asyncpg.Connection | None = None
                try:
                    conn = await asyncpg.connect(self.dsn, timeout=10)
                    if not await self._acquire_lock(conn):
                        break
                    await self._relay(conn)
                except _DB_ERRORS as exc:
                    log.warning("outbox relay lost its database connection", error=_brief(exc))
                    await self._backoff()
                except Exception:
                    # A relay must outlive any surprise: log it, back off, start over.
                    log.exception("outbox relay failed unexpectedly")
                    await self._backoff()
                finally:
                    self._set_active(False)
                    if conn is not None:
                        await _close_quietly(conn)
        finally:
            await self._close_producer()

    # -- leadership ------------------------------------------------------------------------------
    async def _acquire_lock(self, conn: asyncpg.Connection) -> bool:
        """Wait until this session holds the relay lock; False if stopped while waiting."""
        announced = False
        while not self._stopping.is_set():
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID):
                self._set_active(True)
                log.info("outbox relay active", service=self._service)
                return True
            if not announced:
                log.info("outbox relay standing by: another relay holds the lock")
                announced = True
            await self._sleep(max(self.poll_seconds, 0.2))
        return False

    def _set_active(self, active: bool) -> None:
        self.active = active
        OUTBOX_RELAY_ACTIVE.labels(self._service).set(1 if active else 0)

    # -- the loop --------------------------------------------------------------------------------
    async def _relay(self, conn: asyncpg.Connection) -> None:
        await conn.add_listener("outbox", self._on_notify)
        while not self._stopping.is_set():
            self._wakeup.clear()
            rows = await conn.fetch(_SELECT, self.batch_size)
            await self._measure_lag(conn, len(rows))
            if not rows:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
                continue
            try:
                await self._publish(rows)
            except PublishFailed as exc:
                self.publish_failures += 1
                OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                log.warning(
                    "outbox batch not acknowledged; will retry",
                    rows=len(rows),
                    first_event_id=str(rows[0]["event_id"]),
                    error=str(exc),
                    attempt=self._failures + 1,
                )
                await self._close_producer()
                await self._backoff()
                continue
            positions = [r["position"] for r in rows]
            if self._after_publish is not None:
                await self._after_publish(positions)
            await conn.execute(_DELETE, positions)
            self._failures = 0
            self.published += len(rows)
            OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
            OUTBOX_LAG.labels(self._service).dec(len(rows))

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _measure_lag(self, conn: asyncpg.Connection, seen: int) -> None:
        lag = seen
        if seen >= self.batch_size:  # only then can there be more than we just read
            lag = await conn.fetchval("SELECT count(*) FROM outbox")
        OUTBOX_LAG.labels(self._service).set(lag)

    # -- publishing ------------------------------------------------------------------------------
    async def _publish(self, rows: Sequence[asyncpg.Record]) -> None:
        """Send every row, then wait for every acknowledgement; raise if any is missing."""
        producer = await self._ensure_producer()
        if producer is None:
            raise PublishFailed("broker unreachable")
        futures: list[asyncio.Future[Any]] = []
        error: BaseException | None = None
        try:
            for row in rows:
                futures.append(
                    await producer.send(
                        row["topic"],
                        value=bytes(row["payload"]),
                        key=row["key"].encode(),
                        headers=_headers(row),
                    )
                )
        except Exception as exc:  # e.g. metadata not available while the broker is away
            error = exc
        # Wait for all sends to settle, so a retry never overtakes a pending earlier attempt.
        results = await asyncio.gather(*futures, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if error is not None or failures:
            cause = error or failures[0]
            raise PublishFailed(f"{len(failures)} of {len(rows)} unacknowledged: {_brief(cause)}")

    async def _ensure_producer(self) -> AIOKafkaProducer | None:
        if self._producer is not None:
            return self._producer
        producer = make_producer(self.settings, **self._producer_overrides)
        try:
            await producer.start()
            if not self._topics_ensured:
                # A fresh broker (e.g. Tansu with memory storage) has no topics: create them with
                # their real partition counts before anything auto-creates them with one.
                await ensure_topics(self.settings.kafka_bootstrap_servers, all_topics(), attempts=1)
                self._topics_ensured = True
        except Exception as exc:
            log.warning("kafka unreachable; outbox rows wait", error=_brief(exc))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)
            return None
        self._producer = producer
        return producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)

    # -- waiting ---------------------------------------------------------------------------------
    async def _backoff(self) -> None:
        delay = min(MAX_BACKOFF_SECONDS, _FIRST_BACKOFF_SECONDS * 2 ** min(self._failures, 10))
        self._failures += 1
        await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _headers(row: asyncpg.Record) -> list[tuple[str, bytes]]:
    stored = row["headers"]
    headers: dict[str, Any] = json.loads(stored) if isinstance(stored, str) else dict(stored or {})
    headers["event-id"] = str(row["event_id"])
    headers["event-type"] = row["event_type"]
    return [(name, str(value).encode()) for name, value in headers.items()]


def _brief(exc: BaseException) -> str:
    """An error for a log line: its type and first words, never a payload."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 2)
    except Exception:
        conn.terminate()
