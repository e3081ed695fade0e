"""The idempotent consumer over a real broker and a real PostgreSQL.

Unreadable records and events whose handling fails go to ``<topic>.dlq`` unchanged, with error
headers, and consumption goes on; duplicates (same id twice, or replayed offsets) change nothing;
a consumer starts at the positions stored with its effects, not at its group's committed offsets;
a database connection error is retried, not dead-lettered.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from pantau.local.postgres import LocalPostgres
from pantau.local.procs import free_port
from shared.consumer import ConsumedEvent, IdempotentConsumer, read_positions
from shared.contract.envelope import Envelope, new_event
from shared.contract.topics import dlq_topic
from shared.kafka import make_producer
from shared.migrations import migrate
from shared.outbox import append
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from tests.support.messaging import fresh_topic, header, read_topic, wait_until

APPLIED = "CREATE TABLE applied (n bigserial PRIMARY KEY, event_id uuid NOT NULL, subject text)"


def _event(subject: str, sequence: int = 1, **changes: Any) -> Envelope:
    event = new_event(
        type="worker-verified",
        source="registry",
        subject=subject,
        sequence=sequence,
        area="53.71.01.1001",
        data={"verified_on": "2024-05-01"},
    )
    return event.model_copy(update=changes) if changes else event


def _raw(event: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    headers = [(k, v.encode()) for k, v in event.headers().items()]
    return event.subject.encode(), event.to_json(), headers


async def _produce(settings: ServiceSettings, topic: str, records: Sequence[tuple]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _two_workers(
    kafka_bootstrap: str, settings: ServiceSettings, order: Sequence[int]
) -> tuple[str, str, tuple[Envelope, Envelope]]:
    """A fresh two-partition topic holding the first events of two workers in ``order`` (0 for
    the first worker's, 1 for the second's), a fresh consumer name, and the two events."""
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=2)
    events = (_event("worker-1"), _event("worker-2"))
    await _produce(settings, topic, [_raw(events[i]) for i in order])
    return topic, f"test-{uuid.uuid4().hex[:8]}", events


async def _applied(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [
            str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM applied ORDER BY n")
        ]
    finally:
        await conn.close()


async def _record(conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
    await conn.executemany(
        "INSERT INTO applied (event_id, subject) VALUES ($1, $2)",
        [(e.envelope.id, e.envelope.subject) for e in events],
    )


@pytest.fixture
async def db(make_database) -> str:
    dsn = await make_database()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(APPLIED)
    finally:
        await conn.close()
    return dsn


def _consumer(dsn, settings, topic, handler=_record, name=None, group_id=None):
    return IdempotentConsumer(
        name=name or f"test-{uuid.uuid4().hex[:8]}",
        topics=[topic],
        dsn=dsn,
        handler=handler,
        settings=settings,
        group_id=group_id,
        batch_size=50,
    )


async def test_unreadable_records_go_to_the_dlq_unchanged_and_consumption_goes_on(
    db, kafka_bootstrap, service_settings
) -> None:
    settings = service_settings(ServiceSettings, database_url=db)
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=1)
    good_before, good_after = _event("worker-1"), _event("worker-1", 2)
    future_version = json.loads(_event("worker-1", 3).to_json())
    future_version["version"] = 99
    bad = [
        (b"worker-1", b'{"id": "not json', [("event-id", b"x-1"), ("trace", b"\xff\xfe")]),
        (b"worker-1", json.dumps(future_version).encode(), [("event-type", b"worker-verified")]),
        (b"worker-1", b'{"id": "' + str(uuid.uuid4()).encode() + b'"}', []),  # no envelope
    ]
    await _produce(settings, topic, [_raw(good_before), *bad, _raw(good_after)])

    consumer = _consumer(db, settings, topic)
    await consumer.start()
    try:
        expected = [str(good_before.id), str(good_after.id)]
        await wait_until(lambda: _equals(_applied(db), expected))
        dead = await read_topic(kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 3)
    finally:
        await consumer.stop()

    assert [(r.key, r.value) for r in dead] == [(k, v) for k, v, _ in bad]
    for record, (_, _, original_headers), source_offset in zip(dead, bad, [1, 2, 3], strict=True):
        assert list(record.headers[: len(original_headers)]) == original_headers
        assert header(record, "dlq-source-topic") == topic
        assert header(record, "dlq-source-partition") == "0"
        assert header(record, "dlq-source-offset") == str(source_offset)
        assert header(record, "dlq-consumer") == consumer.name
        assert (header(record, "dlq-error") or "").startswith("unreadable")
    assert "99" in (header(dead[1], "dlq-error") or "")  # says which version it cannot read


async def test_duplicates_and_replayed_offsets_change_nothing(
    db, kafka_bootstrap, service_settings
) -> None:
    settings = service_settings(ServiceSettings, database_url=db)
    topic, name, (first, second) = await _two_workers(kafka_bootstrap, settings, [0, 0, 1, 0])

    await _run_until(
        _consumer(db, settings, topic, name=name),
        lambda: _count(_applied(db), 2),
        lambda: _positions_at(db, name, topic, total=4),  # the last duplicate handled too
    )

    # Positions cleared (as when views are rebuilt): the consumer re-reads the topic from
    # offset 0, although its group has committed offsets, and the inbox absorbs the replay.
    await _execute(db, "DELETE FROM consumer_positions WHERE consumer = $1", name)
    third = _event("worker-1", 2)
    await _produce(settings, topic, [_raw(third)])
    await _run_until(
        _consumer(db, settings, topic, name=name),
        lambda: _count(_applied(db), 3),
        lambda: _positions_at(db, name, topic, total=5),
    )
    applied = await _applied(db)
    assert sorted(applied) == sorted([str(first.id), str(second.id), str(third.id)])
    assert applied.index(str(first.id)) < applied.index(str(third.id))  # log order per subject
    # Two duplicates in the first pass; the replay saw all four earlier records again.
    assert _outcomes(name, "duplicate") == 6


async def test_a_new_group_resumes_at_the_positions_stored_with_the_effects(
    db, kafka_bootstrap, service_settings
) -> None:
    settings = service_settings(ServiceSettings, database_url=db)
    topic, name, (first, second) = await _two_workers(kafka_bootstrap, settings, [0, 1])
    await _run_until(
        _consumer(db, settings, topic, name=name), lambda: _positions_at(db, name, topic, total=2)
    )

    # Without the inbox's ids only the stored positions keep the first two from being applied
    # again by a group that has no committed offsets (and starts at the earliest).
    await _execute(db, "DELETE FROM inbox WHERE consumer = $1", name)
    third = _event("worker-1", 2)
    await _produce(settings, topic, [_raw(third)])
    await _run_until(
        _consumer(db, settings, topic, name=name, group_id=f"{name}-new"),
        lambda: _positions_at(db, name, topic, total=3),
    )
    assert sorted(await _applied(db)) == sorted([str(first.id), str(second.id), str(third.id)])


async def test_a_failing_handler_dead_letters_only_the_event_it_fails_on(
    db, kafka_bootstrap, service_settings
) -> None:
    settings = service_settings(ServiceSettings, database_url=db)
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=1)
    events = [_event("worker-1"), _event("poison"), _event("worker-2"), _event("worker-1", 2)]

    async def handler(conn: asyncpg.Connection, batch: Sequence[ConsumedEvent]) -> None:
        await _record(conn, batch)  # rolled back with the rest when the batch fails
        if any(e.envelope.subject == "poison" for e in batch):
            raise ValueError("cannot apply this event")

    await _produce(settings, topic, [_raw(e) for e in events])
    consumer = _consumer(db, settings, topic, handler=handler)
    await consumer.start()
    try:
        healthy = [str(e.id) for e in events if e.subject != "poison"]
        await wait_until(lambda: _equals(_applied(db), healthy))
        dead = await read_topic(kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 1)
        await wait_until(lambda: _positions_at(db, consumer.name, topic, total=4))
    finally:
        await consumer.stop()
    assert len(dead) == 1
    assert dead[0].value == events[1].to_json()
    assert header(dead[0], "event-id") == str(events[1].id)
    assert header(dead[0], "dlq-error") == "handler failed: ValueError: cannot apply this event"
    assert header(dead[0], "dlq-source-offset") == "1"


async def test_a_database_connection_error_is_retried_not_dead_lettered(
    db, kafka_bootstrap, service_settings
) -> None:
    settings = service_settings(ServiceSettings, database_url=db)
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=1)
    event = _event("worker-1")
    attempts = 0

    async def flaky(conn: asyncpg.Connection, batch: Sequence[ConsumedEvent]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 3:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost (simulated)")
        await _record(conn, batch)

    await _produce(settings, topic, [_raw(event)])
    consumer = _consumer(db, settings, topic, handler=flaky)
    await consumer.start()
    try:
        await wait_until(lambda: _equals(_applied(db), [str(event.id)]))
    finally:
        await consumer.stop()
    assert attempts == 4
    # Nothing was dead-lettered: a marker record is the first thing the DLQ topic holds.
    await _produce(settings, dlq_topic(topic), [(b"marker", b"marker", [])])
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 1)
    assert [r.value for r in dead] == [b"marker"]


async def test_a_missing_table_stalls_the_consumer_instead_of_dead_lettering(
    db, kafka_bootstrap, service_settings
) -> None:
    """A fault of the system, not of the event (here: a table not migrated yet), loses nothing:
    the batch is retried until the table exists, and the DLQ stays empty."""
    settings = service_settings(ServiceSettings, database_url=db)
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=1)
    events = [_event("worker-1"), _event("worker-2"), _event("worker-1", 2)]
    attempts = 0

    async def handler(conn: asyncpg.Connection, batch: Sequence[ConsumedEvent]) -> None:
        nonlocal attempts
        attempts += 1
        await conn.executemany(
            "INSERT INTO late_table (event_id) VALUES ($1)", [(e.envelope.id,) for e in batch]
        )
        await _record(conn, batch)

    await _produce(settings, topic, [_raw(e) for e in events])
    consumer = _consumer(db, settings, topic, handler=handler)
    await consumer.start()
    try:
        await wait_until(lambda: _at_least(lambda: attempts, 2))
        assert await _applied(db) == []
        conn = await asyncpg.connect(db)
        try:
            await conn.execute("CREATE TABLE late_table (event_id uuid PRIMARY KEY)")
        finally:
            await conn.close()
        await wait_until(lambda: _equals(_applied(db), [str(e.id) for e in events]))
    finally:
        await consumer.stop()
    await _produce(settings, dlq_topic(topic), [(b"marker", b"marker", [])])
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 1)
    assert [r.value for r in dead] == [b"marker"]


async def _at_least(value: Any, minimum: int) -> bool:
    return bool(value() >= minimum)


async def test_relay_and_consumer_ride_out_a_database_restart(
    kafka_bootstrap, service_settings
) -> None:
    base = Path(tempfile.mkdtemp(prefix="pantau-msg-pg-", dir="/tmp"))
    port = free_port()
    server = await asyncio.to_thread(LocalPostgres(data_dir=base, port=port).start)
    relay = consumer = None
    try:
        dsn = await server.create_database("restarted")
        await migrate(dsn)
        conn = await asyncpg.connect(dsn)
        await conn.execute(APPLIED)
        await conn.close()
        settings = service_settings(ServiceSettings, database_url=dsn)
        topic = await fresh_topic(kafka_bootstrap, "dbrestart", partitions=1)
        relay = OutboxRelay(dsn, settings, poll_seconds=0.05)
        consumer = _consumer(dsn, settings, topic)
        await relay.start()
        await consumer.start()

        async def write(event: Envelope) -> None:
            conn = await asyncpg.connect(dsn)
            try:
                async with conn.transaction():
                    await append(conn, event, topic=topic)
            finally:
                await conn.close()

        before, during, after = _event("worker-1"), _event("worker-1", 2), _event("worker-1", 3)
        await write(before)
        await wait_until(lambda: _equals(_applied(dsn), [str(before.id)]))

        await asyncio.to_thread(server.stop)
        retries = _retries(consumer.name)
        await _produce(settings, topic, [_raw(during)])  # another service goes on publishing
        await wait_until(lambda: _true(_retries(consumer.name) > retries))  # it waits, no DLQ
        server = await asyncio.to_thread(LocalPostgres(data_dir=base, port=port).start)

        await write(after)  # the relay reconnected and took the lock again
        expected = [str(before.id), str(during.id), str(after.id)]
        await wait_until(lambda: _equals(_applied(dsn), expected))
    finally:
        if consumer is not None:
            await consumer.stop()
        if relay is not None:
            await relay.stop()
        await asyncio.to_thread(server.stop)
        shutil.rmtree(base, ignore_errors=True)
    await _produce(settings, dlq_topic(topic), [(b"marker", b"marker", [])])
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 1)
    assert [r.value for r in dead] == [b"marker"]


def _outcomes(consumer: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "pantau_consumer_events_total", {"consumer": consumer, "outcome": outcome}
    )
    return value or 0.0


def _retries(consumer: str) -> float:
    value = REGISTRY.get_sample_value(
        "pantau_consumer_transient_errors_total", {"consumer": consumer}
    )
    return value or 0.0


async def _true(value: bool) -> bool:
    return value


async def _run_until(
    consumer: IdempotentConsumer, *conditions: Callable[[], Awaitable[bool]]
) -> None:
    """Run ``consumer`` until each condition (a coroutine function) holds in turn."""
    await consumer.start()
    try:
        for condition in conditions:
            await wait_until(condition)
    finally:
        await consumer.stop()


async def _execute(dsn: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _equals(found, expected) -> bool:
    return await found == expected


async def _count(found, n: int) -> bool:
    return len(await found) >= n


async def _positions_at(dsn: str, consumer: str, topic: str, *, total: int) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        positions = await read_positions(conn, consumer)
    finally:
        await conn.close()
    return sum(positions.get(topic, {}).values()) == total


async def test_a_stuck_batch_shows_in_a_gauge_and_its_log_line_quotes_no_value(
    db, kafka_bootstrap, service_settings
) -> None:
    """An unexpected handler exception (a bug) rewinds the batch: the stuck gauge rises while it
    is retried and falls to 0 once the batch goes through; the log names the exception's type
    and place, not its message."""
    settings = service_settings(ServiceSettings, database_url=db)
    topic = await fresh_topic(kafka_bootstrap, "consumer", partitions=1)
    events = [_event("worker-1"), _event("worker-2")]
    attempts = 0
    broken = True

    async def handler(conn: asyncpg.Connection, batch: Sequence[ConsumedEvent]) -> None:
        nonlocal attempts
        attempts += 1
        if broken:
            raise KeyError("secret-value-from-an-event")
        await _record(conn, batch)

    await _produce(settings, topic, [_raw(e) for e in events])
    consumer = _consumer(db, settings, topic, handler=handler)
    with capture_logs() as entries:
        await consumer.start()
        try:
            await wait_until(lambda: _true(_stuck_seconds(consumer.name) > 0))
            assert await _applied(db) == []
            broken = False
            await wait_until(lambda: _equals(_applied(db), [str(e.id) for e in events]))
            await wait_until(lambda: _true(_stuck_seconds(consumer.name) == 0))
        finally:
            await consumer.stop()
    failures = [e for e in entries if e["event"] == "batch failed; it will be redelivered"]
    assert failures
    assert failures[0]["error"] == "KeyError"
    assert "test_consumer.py" in failures[0]["at"] and "handler" in failures[0]["at"]
    assert "secret-value" not in repr(entries)
    assert not any(e.get("exc_info") for e in entries)


def _stuck_seconds(consumer: str) -> float:
    value = REGISTRY.get_sample_value("pantau_consumer_stuck_seconds", {"consumer": consumer})
    assert value is not None
    return value
