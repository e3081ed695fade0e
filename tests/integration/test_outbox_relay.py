"""The outbox relay over a real PostgreSQL and a real broker.

Every committed change reaches a deduplicating consumer exactly once and in order per subject,
even when the relay dies between the broker's acknowledgement and the delete; rows that commit
late are published; a broker outage delays publication but never blocks writers or loses rows.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence

import asyncpg
import pytest

from pantau.local.procs import free_port
from pantau.local.tansu import TansuBroker
from shared.consumer import ConsumedEvent, IdempotentConsumer, read_positions
from shared.contract.envelope import Envelope, new_event
from shared.outbox import append
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from tests.support.messaging import fresh_topic, header, read_topic, wait_until
from tests.support.tcp_proxy import TcpProxy

APP_SCHEMA = """
CREATE TABLE aggregates (subject text PRIMARY KEY, version integer NOT NULL);
CREATE TABLE applied (
    n bigserial PRIMARY KEY,
    subject text NOT NULL,
    sequence integer NOT NULL,
    event_id uuid NOT NULL
);
"""


def _event(subject: str, sequence: int) -> Envelope:
    return new_event(
        type="worker-verified",
        source="registry",
        subject=subject,
        sequence=sequence,
        area="53.71.01.1001",
        data={"verified_on": "2024-05-01"},
    )


async def _write(conn: asyncpg.Connection, topic: str, subject: str) -> Envelope:
    """A state change and its event in one transaction, under the aggregate's row lock."""
    async with conn.transaction():
        version = await conn.fetchval(
            "INSERT INTO aggregates (subject, version) VALUES ($1, 1)"
            " ON CONFLICT (subject) DO UPDATE SET version = aggregates.version + 1"
            " RETURNING version",
            subject,
        )
        event = _event(subject, version)
        await append(conn, event, topic=topic)
    return event


async def _outbox_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


@pytest.fixture
async def app_db(make_database) -> str:
    dsn = await make_database()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(APP_SCHEMA)
    finally:
        await conn.close()
    return dsn


async def _record_applied(conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
    await conn.executemany(
        "INSERT INTO applied (subject, sequence, event_id) VALUES ($1, $2, $3)",
        [(e.envelope.subject, e.envelope.sequence, e.envelope.id) for e in events],
    )


async def test_every_change_reaches_the_consumer_once_in_order_despite_a_relay_crash(
    app_db, kafka_bootstrap, service_settings
) -> None:
    topic = await fresh_topic(kafka_bootstrap, "relay", partitions=4)
    settings = service_settings(ServiceSettings, database_url=app_db)
    subjects = [f"worker-{i}" for i in range(40)]
    writes_per_writer, writers = 150, 4
    written: list[Envelope] = []

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        conn = await asyncpg.connect(app_db)
        try:
            for _ in range(writes_per_writer):
                written.append(await _write(conn, topic, rng.choice(subjects)))
        finally:
            await conn.close()

    # The first relay dies on its third batch, after the broker acknowledged it, before the delete.
    crashed = asyncio.Event()
    unacknowledged: list[int] = []
    first = OutboxRelay(app_db, settings, batch_size=50, poll_seconds=0.05)
    batches = 0

    async def crash_on_third_batch(positions: Sequence[int]) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            unacknowledged.extend(positions)
            crashed.set()
            await asyncio.Event().wait()  # hang here until cancelled: the "kill"

    first._after_publish = crash_on_third_batch
    # A standby started at the same time must wait while the first one holds the lock.
    second = OutboxRelay(app_db, settings, batch_size=50, poll_seconds=0.05)
    await first.start()
    await wait_until(lambda: _true(first.active))
    await second.start()

    writing = asyncio.gather(*(writer(seed) for seed in range(writers)))
    await asyncio.wait_for(crashed.wait(), 60)
    assert not second.active
    conn = await asyncpg.connect(app_db)
    try:  # the broker acknowledged the batch, and it is still in the outbox
        still_there = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE position = ANY($1::bigint[])", unacknowledged
        )
    finally:
        await conn.close()
    assert still_there == len(unacknowledged) > 0
    await first.stop()  # the kill: between the acknowledgement and the delete

    await writing
    total = writers * writes_per_writer
    await wait_until(lambda: _true(second.active))
    await wait_until(lambda: _is_zero(_outbox_count(app_db)))

    name = f"relay-check-{uuid.uuid4().hex[:6]}"
    consumer = IdempotentConsumer(
        name=name,
        topics=[topic],
        dsn=app_db,
        handler=_record_applied,
        settings=settings,
        batch_size=120,
    )
    await consumer.start()
    try:
        # (Tansu's reported end offsets can lag by one, so the topic itself is the reference.)
        on_topic = await read_topic(
            kafka_bootstrap,
            topic,
            until=lambda rs: len(rs) >= total + len(unacknowledged),
        )
        assert len({_id(r) for r in on_topic}) == total  # that batch went out twice
        last: dict[int, int] = {}
        for record in on_topic:
            last[record.partition] = max(last.get(record.partition, -1), record.offset)

        async def caught_up() -> bool:
            conn = await asyncpg.connect(app_db)
            try:
                positions = (await read_positions(conn, name)).get(topic, {})
            finally:
                await conn.close()
            return all(positions.get(p, 0) > offset for p, offset in last.items())

        await wait_until(caught_up)
    finally:
        await consumer.stop()
        await second.stop()

    conn = await asyncpg.connect(app_db)
    try:
        rows = await conn.fetch("SELECT subject, sequence, event_id FROM applied ORDER BY n")
    finally:
        await conn.close()
    assert sorted(str(r["event_id"]) for r in rows) == sorted(str(e.id) for e in written)
    by_subject: dict[str, list[int]] = {}
    for row in rows:
        by_subject.setdefault(row["subject"], []).append(row["sequence"])
    for sequences in by_subject.values():
        assert sequences == list(range(1, len(sequences) + 1))
    assert len(rows) == total


async def test_a_row_that_commits_late_is_still_published(
    app_db, kafka_bootstrap, service_settings
) -> None:
    topic = await fresh_topic(kafka_bootstrap, "late", partitions=2)
    settings = service_settings(ServiceSettings, database_url=app_db)
    relay = OutboxRelay(app_db, settings, poll_seconds=0.05)
    await relay.start()
    slow = await asyncpg.connect(app_db)
    fast = await asyncpg.connect(app_db)
    try:
        late_tx = slow.transaction()
        await late_tx.start()
        late = _event("worker-late", 1)
        await append(slow, late, topic=topic)  # takes the lower position, commits last
        early = await _write(fast, topic, "worker-early")
        assert await fast.fetchval("SELECT max(position) FROM outbox") > await slow.fetchval(
            "SELECT position FROM outbox WHERE event_id = $1", late.id
        )

        await read_topic(
            kafka_bootstrap, topic, until=lambda rs: any(_id(r) == str(early.id) for r in rs)
        )
        await wait_until(lambda: _is_zero(_outbox_count(app_db)))  # the early row is gone
        await late_tx.commit()

        records = await read_topic(
            kafka_bootstrap, topic, until=lambda rs: any(_id(r) == str(late.id) for r in rs)
        )
        assert {_id(r) for r in records} == {str(early.id), str(late.id)}
        await wait_until(lambda: _is_zero(_outbox_count(app_db)))
    finally:
        await relay.stop()
        await slow.close()
        await fast.close()


async def test_writes_go_on_while_the_broker_is_away_and_are_published_when_it_returns(
    app_db, service_settings
) -> None:
    tansu_port = free_port()
    proxy = await TcpProxy("127.0.0.1", tansu_port).start()
    broker = TansuBroker()
    await asyncio.to_thread(broker.start, tansu_port, advertised_port=proxy.port)
    relay: OutboxRelay | None = None
    try:
        topic = await fresh_topic(proxy.address, "outage", partitions=3)
        settings = service_settings(
            ServiceSettings,
            database_url=app_db,
            kafka_bootstrap_servers=proxy.address,
            kafka_idempotence=False,
        )
        relay = OutboxRelay(app_db, settings, poll_seconds=0.05)
        # Give up on a batch after 2 s instead of 15 s, so the outage outlasts several attempts.
        relay._producer_overrides = {"request_timeout_ms": 2_000}
        await relay.start()
        conn = await asyncpg.connect(app_db)
        try:
            before = [await _write(conn, topic, f"worker-{i % 5}") for i in range(20)]
            await wait_until(lambda: _is_zero(_outbox_count(app_db)))
            published_before = relay.published

            await proxy.pause()
            during = [await _write(conn, topic, f"worker-{i % 5}") for i in range(30)]
            assert await _outbox_count(app_db) == 30  # every write was accepted and committed
            # The relay gives up on the batch, backs off, recreates its producer, tries again.
            await wait_until(lambda: _true(relay.publish_failures >= 2), within=60)
            assert relay.published == published_before
            assert await _outbox_count(app_db) == 30

            proxy.resume()
            await wait_until(lambda: _is_zero(_outbox_count(app_db)), within=90)
        finally:
            await conn.close()

        expected = {str(e.id) for e in before + during}
        records = await read_topic(
            proxy.address, topic, until=lambda rs: expected <= {_id(r) for r in rs}
        )
        assert {_id(r) for r in records} == expected
        for record in records:  # key is the subject; headers repeat id and type
            assert header(record, "event-type") == "worker-verified"
            assert record.key.decode().startswith("worker-")
    finally:
        if relay is not None:
            await relay.stop()
        await asyncio.to_thread(broker.stop)
        await proxy.stop()


def _id(record) -> str | None:
    return header(record, "event-id")


async def _true(value: bool) -> bool:
    return value


async def _is_zero(count: asyncio.Future[int] | object) -> bool:
    return await count == 0  # type: ignore[misc]
