"""The shared fixtures hand out a working broker, database and settings (a quick self-check)."""

from __future__ import annotations

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contract.topics import Topic, all_topics
from shared.kafka import make_producer
from shared.settings import ServiceSettings


async def test_make_database_applies_plumbing_migrations(make_database) -> None:
    dsn = await make_database()
    conn = await asyncpg.connect(dsn)
    try:
        names = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
    finally:
        await conn.close()
    assert "shared/001_outbox.sql" in names
    assert {"outbox", "inbox"} <= tables


async def test_topics_exist_and_a_record_round_trips(kafka_bootstrap, service_settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert set(all_topics()) <= set(await admin.list_topics())
    finally:
        await admin.close()

    settings = service_settings(ServiceSettings)
    producer = make_producer(settings)
    await producer.start()
    try:
        meta = await producer.send_and_wait(Topic.AGENCY, b"hello", key=b"smoke")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(meta.topic, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        batch = await consumer.getmany(tp, timeout_ms=10_000)
    finally:
        await consumer.stop()
    assert [r.value for r in batch[tp]][:1] == [b"hello"]
