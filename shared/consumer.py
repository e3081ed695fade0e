"""Idempotent, batching Kafka consumer: each event's effect is applied exactly once per consumer.

Built on a FastStream ``KafkaBroker`` batch subscriber. Per batch:

1. every record is parsed (envelope, then its ``(type, version)`` payload model); a record that
   cannot be read goes to ``<topic>.dlq`` unchanged, with error headers, and the send is awaited;
2. one database transaction records the batch's event ids in ``inbox`` (``ON CONFLICT DO
   NOTHING ... RETURNING`` tells which are new), calls the handler with only the new events, in
   log order per partition, and stores the next offset per partition in ``consumer_positions``;
3. only after that commit are the Kafka offsets committed (FastStream's ``NACK_ON_ERROR`` ack
   policy commits when the handler returns and rewinds the batch when it raises).

The cyclic garbage collector is paused while a batch is parsed and applied, but runs during a
retry's wait and the event-at-a-time fallback (:class:`shared.gc_tuning.CollectorPause`).

The positions stored with the effects are the truth about how far the log has been applied: on
every partition assignment the consumer seeks to them (offset 0 where none is stored), so a
database restored from a backup or views rebuilt from scratch re-read what they lack.

If the handler raises, the transaction is rolled back and the batch's events are applied one
transaction each; an event whose handler raises again is dead-lettered and consumption goes on.
Database connection errors are transient: the work is retried with a capped backoff, never
dead-lettered. A crash anywhere replays records from the last committed offset; the inbox makes
the replay change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple, cast

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from pydantic import ValidationError

from shared.contract.envelope import Envelope
from shared.contract.events import EventData, UnknownEventType, parse_data
from shared.contract.topics import all_topics, dlq_topic
from shared.gc_tuning import CollectorPause
from shared.kafka import ensure_topics, make_broker, make_producer
from shared.logging import bind_event, get_logger
from shared.metrics import CONSUMED_EVENTS, CONSUMER_RETRIES, CONSUMER_STUCK_SECONDS
from shared.service.errors import where
from shared.settings import ServiceSettings

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 5.0
_FIRST_BACKOFF_SECONDS = 0.2
_MAX_ERROR_HEADER = 500

# Transient: the same work may well succeed on a later attempt, so it is retried, never DLQ'd.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.TransactionRollbackError,  # class 40: serialization, deadlock
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: disk full, out of memory
    asyncpg.exceptions.OperatorInterventionError,  # class 57: query cancelled, shutdown
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # 25006: a standby during failover
    asyncpg.exceptions.LockNotAvailableError,  # 55P03
    OSError,
    ConnectionError,
    TimeoutError,
    KafkaError,  # the broker is away (dead-letter sends)
)

_RECORD = "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])"
_CLAIM = _RECORD + " ON CONFLICT DO NOTHING RETURNING event_id"
_SAVE_POSITIONS = (
    "INSERT INTO consumer_positions (consumer, topic, partition, next_offset)"
    " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)"
    " ON CONFLICT (consumer, topic, partition) DO UPDATE"
    " SET next_offset = GREATEST(consumer_positions.next_offset, EXCLUDED.next_offset),"
    " updated_at = now()"
)


class ConsumedEvent(NamedTuple):
    """One readable event and where it was read from (a tuple: cheap to build per record)."""

    envelope: Envelope
    data: EventData
    topic: str
    partition: int
    offset: int


BatchHandler = Callable[[asyncpg.Connection, Sequence[ConsumedEvent]], Awaitable[None]]
Positions = dict[tuple[str, int], int]


class PoisonEvent(Exception):
    """Raised by a handler for an event it can never apply: the event goes to the DLQ."""


# What a handler may raise about the event itself (its data, not the system): dead-lettered.
# Anything else — a missing table, a lost privilege, a read-only standby, a bug in the code —
# rewinds the batch and retries it, because dead-lettering would lose every event that passes.
POISON_ERRORS: tuple[type[BaseException], ...] = (
    PoisonEvent,
    ValueError,  # includes pydantic's ValidationError and the contract's UnknownEventVersion
    asyncpg.DataError,  # SQLSTATE class 22: the event's values do not fit
    asyncpg.IntegrityConstraintViolationError,  # class 23: it contradicts stored facts
)


class HandlerFailed(Exception):
    """The handler raised a non-transient error; ``__cause__`` is the original."""


class _Stopping(Exception):
    """The consumer is stopping: abandon the batch (it is redelivered after restart)."""


class _ResumeAtStoredPositions(ConsumerRebalanceListener):
    """Seeks newly assigned partitions to the positions stored in the consumer's database."""

    def __init__(self, owner: IdempotentConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.owner._resume(assigned)


async def read_positions(conn: asyncpg.Connection, consumer: str) -> dict[str, dict[int, int]]:
    """The next offset per topic and partition that ``consumer`` has applied: its watermark."""
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_positions WHERE consumer = $1",
        consumer,
    )
    positions: dict[str, dict[int, int]] = {}
    for row in rows:
        positions.setdefault(row["topic"], {})[row["partition"]] = row["next_offset"]
    return positions


class IdempotentConsumer:
    """Consumes ``topics`` as group ``group_id`` (default: ``name``) into one database."""

    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        dsn: str,
        handler: BatchHandler,
        settings: ServiceSettings,
        group_id: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        if not topics:
            raise ValueError("an IdempotentConsumer needs at least one topic")
        self.name = name
        self.topics = list(topics)
        self.dsn = dsn
        self.handler = handler
        self.settings = settings
        self.group_id = group_id or name
        self.batch_size = batch_size or settings.consumer_batch_size
        self._pool: asyncpg.Pool | None = None
        self._broker: KafkaBroker | None = None
        self._dlq: AIOKafkaProducer | None = None
        self._connector: asyncio.Task[None] | None = None
        self._subscriber: Any = None
        self._stopping = asyncio.Event()
        self._failures = 0
        self._stuck_since: float | None = None  # monotonic time of the first failed attempt
        self._collector = CollectorPause()
        CONSUMER_STUCK_SECONDS.labels(self.name).set(0)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the database pool and join the consumer group.

        If the broker is unreachable the consumer keeps trying in the background, so a service
        can start (and report itself unready) while the broker is away.
        """
        self._stopping.clear()
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=2)
        try:
            await self._connect()
        except Exception as exc:
            log.warning(
                "consumer cannot reach kafka yet; retrying", consumer=self.name, error=_brief(exc)
            )
            self._connector = asyncio.create_task(self._connect_until_stopped())

    async def stop(self) -> None:
        """Leave the group and close everything; an unfinished batch is redelivered later."""
        self._stopping.set()
        connector, self._connector = self._connector, None
        if connector is not None:
            connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connector
        await self._disconnect()
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), 10)
            except TimeoutError:
                pool.terminate()

    async def _connect_until_stopped(self) -> None:
        while not self._stopping.is_set():
            await self._backoff()
            try:
                await self._connect()
                log.info("consumer connected to kafka", consumer=self.name)
                self._failures = 0
                return
            except Exception as exc:
                log.warning(
                    "consumer cannot reach kafka; retrying", consumer=self.name, error=_brief(exc)
                )

    async def _connect(self) -> None:
        known = all_topics()
        wanted = {t: known.get(t, 1) for t in self.topics}
        wanted.update({dlq_topic(t): known.get(dlq_topic(t), 1) for t in self.topics})
        await ensure_topics(self.settings.kafka_bootstrap_servers, wanted, attempts=1)
        producer = make_producer(self.settings)
        broker = make_broker(self.settings)
        session_ms = self.settings.kafka_session_timeout_ms
        subscriber = broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            listener=_ResumeAtStoredPositions(self),
            batch=True,
            max_records=self.batch_size,
            max_partition_fetch_bytes=self.settings.consumer_fetch_bytes,
            fetch_max_wait_ms=self.settings.consumer_fetch_max_wait_ms,
            auto_offset_reset="earliest",
            # Commit when the handler returns (after the DB commit); rewind the batch if it raises.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            session_timeout_ms=session_ms,
            heartbeat_interval_ms=max(100, session_ms // 4),
        )
        subscriber(self._on_batch, parser=_safe_parser, decoder=_raw_records)
        self._subscriber = subscriber
        try:
            await producer.start()
            await broker.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await broker.stop()
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._dlq, self._broker = producer, broker

    async def _disconnect(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            with contextlib.suppress(Exception):
                await broker.stop()
        producer, self._dlq = self._dlq, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)

    async def _resume(self, assigned: set[TopicPartition]) -> None:
        """Start each assigned partition at the position stored with this consumer's effects.

        The database, not Kafka's committed offset, says how far the log has been applied: it
        is written in the same transaction as the effects. So a database restored from a
        backup, or views rebuilt by a migration that cleared the positions, make the consumer
        re-read what they lack (from offset 0 where nothing is stored); the inbox keeps
        re-reading harmless. If the positions cannot be read, Kafka's committed offsets are
        used: they never run ahead of the database, so at worst records are redelivered.
        """
        consumer = getattr(self._subscriber, "consumer", None)
        if not assigned or self._pool is None or consumer is None:
            return
        # Hold the partitions until they are positioned (before the first await): the fetcher
        # starts at Kafka's committed offsets as soon as it knows them, which can be while the
        # stored positions are still being read, and a batch from there would be applied first.
        consumer.pause(*assigned)
        try:
            try:
                async with self._pool.acquire() as conn:
                    stored = await read_positions(cast(asyncpg.Connection, conn), self.name)
            except Exception as exc:
                log.warning(
                    "cannot read stored positions; resuming at committed offsets",
                    consumer=self.name,
                    error=_brief(exc),
                )
                return
            for tp in sorted(assigned):
                consumer.seek(tp, stored.get(tp.topic, {}).get(tp.partition, 0))
        finally:
            consumer.resume(*assigned)

    # -- one batch -------------------------------------------------------------------------------
    async def _on_batch(self, records: Any) -> None:
        """FastStream handler: returns only once the batch's effects are committed."""
        batch: tuple[ConsumerRecord[Any, Any], ...] = tuple(records)
        if not batch:
            return
        with structlog.contextvars.bound_contextvars(consumer=self.name):
            try:
                with self._collector.paused():
                    await self._process(batch)
            except _Stopping:
                raise
            except Exception as exc:
                # Neither the handler's fault (that is dead-lettered) nor transient (that is
                # retried): e.g. a missing table. FastStream rewinds the batch; wait, not spin.
                # The type and the place only: a message or a traceback could quote values.
                log.error(
                    "batch failed; it will be redelivered",
                    records=len(batch),
                    error=type(exc).__name__,
                    at=where(exc),
                )
                self._stuck()
                await self._backoff()
                raise
            self._unstuck()

    def _stuck(self) -> None:
        """Another failed attempt at the same batch: the gauge tells for how long."""
        now = time.monotonic()
        if self._stuck_since is None:
            self._stuck_since = now
        CONSUMER_STUCK_SECONDS.labels(self.name).set(now - self._stuck_since)

    def _unstuck(self) -> None:
        if self._stuck_since is not None:
            self._stuck_since = None
            CONSUMER_STUCK_SECONDS.labels(self.name).set(0)

    async def _process(self, batch: Sequence[ConsumerRecord[Any, Any]]) -> None:
        events: list[tuple[ConsumedEvent, ConsumerRecord[Any, Any]]] = []
        for record in batch:
            try:
                events.append((_parse(record), record))
            except UnknownEventType:
                CONSUMED_EVENTS.labels(self.name, "ignored").inc()  # positions still advance
            except Exception as exc:
                await self._dead_letter(record, f"unreadable: {_reason(exc)}")
        positions = _next_offsets(batch)
        await self._retrying(functools.partial(self._apply, events, positions))

    async def _apply(
        self,
        events: Sequence[tuple[ConsumedEvent, ConsumerRecord[Any, Any]]],
        positions: Positions,
    ) -> None:
        try:
            await self._transaction([e for e, _ in events], positions)
        except HandlerFailed as exc:
            log.warning(
                "batch handler failed; applying the batch one event at a time",
                events=len(events),
                error=_brief(exc.__cause__ or exc),
            )
            # One transaction per event, each failure leaving a traceback: let the collector run.
            with self._collector.running():
                for event, record in events:
                    await self._retrying(functools.partial(self._apply_one, event, record))
            await self._retrying(functools.partial(self._transaction, [], positions))

    async def _apply_one(self, event: ConsumedEvent, record: ConsumerRecord[Any, Any]) -> None:
        envelope = event.envelope
        with bind_event(envelope.id, envelope.type, envelope.correlation_id):
            try:
                await self._transaction([event], {(event.topic, event.partition): event.offset + 1})
            except HandlerFailed as exc:
                cause = exc.__cause__ or exc
                log.warning("handler failed on event; dead-lettering it", error=_brief(cause))
                await self._dead_letter(record, f"handler failed: {_reason(cause)}")

    async def _transaction(self, events: Sequence[ConsumedEvent], positions: Positions) -> None:
        """Claim the new events, apply them and store the positions: all or nothing."""
        if self._pool is None:
            raise _Stopping()
        async with self._pool.acquire() as proxy, proxy.transaction():
            # Handlers are typed against Connection; the pool's proxy forwards to one.
            conn = cast(asyncpg.Connection, proxy)
            fresh = await self._claim(conn, events)
            if fresh:
                try:
                    await self.handler(conn, fresh)
                except TRANSIENT_ERRORS:
                    raise
                except POISON_ERRORS as exc:
                    if conn.is_closed():
                        raise
                    raise HandlerFailed(str(exc)) from exc
            await _save_positions(conn, self.name, positions)
        CONSUMED_EVENTS.labels(self.name, "applied").inc(len(fresh))
        if duplicates := len(events) - len(fresh):
            CONSUMED_EVENTS.labels(self.name, "duplicate").inc(duplicates)

    async def _claim(
        self, conn: asyncpg.Connection, events: Sequence[ConsumedEvent]
    ) -> list[ConsumedEvent]:
        """Record the events' ids in the inbox; return the ones never seen, first copy only."""
        unique: dict[Any, ConsumedEvent] = {}
        for event in events:
            unique.setdefault(event.envelope.id, event)
        if not unique:
            return []
        ids = list(unique)
        try:
            # Nearly always every id is new: a plain insert is cheaper than ON CONFLICT. The
            # savepoint lets a redelivered batch fall back to finding out which ones are new.
            async with conn.transaction():
                await conn.execute(_RECORD, self.name, ids)
        except asyncpg.UniqueViolationError:
            rows = await conn.fetch(_CLAIM, self.name, ids)
            new_ids = {row["event_id"] for row in rows}
            return [event for event_id, event in unique.items() if event_id in new_ids]
        return list(unique.values())

    # -- dead letters ----------------------------------------------------------------------------
    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        """Publish ``record`` unchanged to its DLQ topic plus error headers; wait for the ack."""
        headers = [
            *record.headers,
            ("dlq-error", reason[:_MAX_ERROR_HEADER].encode()),
            ("dlq-source-topic", record.topic.encode()),
            ("dlq-source-partition", str(record.partition).encode()),
            ("dlq-source-offset", str(record.offset).encode()),
            ("dlq-consumer", self.name.encode()),
        ]
        target = dlq_topic(record.topic)

        async def send() -> None:
            if self._dlq is None:
                raise _Stopping()
            future = await self._dlq.send(
                target, value=record.value, key=record.key, headers=headers
            )
            await future

        await self._retrying(send)
        CONSUMED_EVENTS.labels(self.name, "dead_lettered").inc()
        log.warning(
            "record dead-lettered",
            dlq_topic=target,
            partition=record.partition,
            offset=record.offset,
            event_id=_header(record, "event-id"),
            reason=reason[:200],
        )

    # -- retries ---------------------------------------------------------------------------------
    async def _retrying(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` until it succeeds; transient errors back off and retry."""
        while True:
            if self._stopping.is_set():
                raise _Stopping()
            try:
                await work()
            except HandlerFailed:
                raise
            except Exception as exc:
                if isinstance(exc, _Stopping) or not _is_transient(exc):
                    raise
                CONSUMER_RETRIES.labels(self.name).inc()
                log.warning("transient error; retrying", error=_brief(exc))
                self._stuck()
                await self._backoff()
            else:
                self._failures = 0
                return

    async def _backoff(self) -> None:
        delay = min(MAX_BACKOFF_SECONDS, _FIRST_BACKOFF_SECONDS * 2 ** min(self._failures, 10))
        self._failures += 1
        with contextlib.suppress(asyncio.TimeoutError), self._collector.running():
            await asyncio.wait_for(self._stopping.wait(), delay)


# -- helpers ---------------------------------------------------------------------------------------
def _parse(record: ConsumerRecord[Any, Any]) -> ConsumedEvent:
    if record.value is None:
        raise ValueError("record has no value")
    envelope = Envelope.model_validate_json(record.value)
    return ConsumedEvent(
        envelope=envelope,
        data=parse_data(envelope),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )


def _next_offsets(records: Iterable[ConsumerRecord[Any, Any]]) -> Positions:
    positions: Positions = {}
    for record in records:
        key = (record.topic, record.partition)
        positions[key] = max(positions.get(key, 0), record.offset + 1)
    return positions


async def _save_positions(conn: asyncpg.Connection, consumer: str, positions: Positions) -> None:
    if positions:
        keys = list(positions)
        await conn.execute(
            _SAVE_POSITIONS,
            consumer,
            [t for t, _ in keys],
            [p for _, p in keys],
            [positions[k] for k in keys],
        )


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    # asyncpg reports a connection lost mid-query as a plain InterfaceError.
    return isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc)


def _reason(exc: BaseException) -> str:
    """Why a record failed, without echoing its content (pydantic would quote input values)."""
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)[:5]
        )
        return f"{exc.title}: {problems}"
    return _brief(exc)


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return (value or b"").decode(errors="replace")
    return None


async def _safe_parser(
    records: tuple[ConsumerRecord[Any, Any], ...],
    original: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[Any]],
) -> Any:
    """FastStream's parser, tolerant of header values that are not UTF-8 (or are null).

    FastStream decodes every header as UTF-8 to build its message; one malformed record would
    make the whole batch fail before our handler runs, and so never reach the DLQ.
    """
    try:
        return await original(records)
    except Exception:
        readable = tuple(
            dataclasses.replace(r, headers=[(k, _printable(v)) for k, v in r.headers])
            for r in records
        )
        message = await original(readable)
        message.raw_message = records  # the DLQ must get the original bytes
        return message


def _printable(value: bytes | None) -> bytes:
    return (value or b"").decode(errors="replace").encode()


def _raw_records(message: Any) -> Any:
    """FastStream decoder: hand the handler the raw records; we parse them ourselves."""
    return message.raw_message
