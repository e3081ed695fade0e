"""Helpers for messaging tests: throw-away topics, reading a topic back, waiting for a condition."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.contract.topics import dlq_topic
from shared.kafka import ensure_topics


async def fresh_topic(bootstrap: str, prefix: str, partitions: int) -> str:
    """A new topic (and its DLQ topic) that no other test writes to."""
    topic = f"test.{prefix}.{uuid.uuid4().hex[:10]}"
    await ensure_topics(bootstrap, {topic: partitions, dlq_topic(topic): 1})
    return topic


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within: float = 60.0, every: float = 0.1
) -> None:
    """Poll ``condition`` until it holds; fail the test if it never does."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(every)


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    within: float = 60.0,
) -> list[ConsumerRecord[Any, Any]]:
    """Every record of ``topic`` from the beginning (all partitions), read until ``until`` holds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    try:
        await consumer.topics()  # loads metadata of every topic
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        deadline = time.monotonic() + within
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met within {within}s")
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                records.extend(tp_records)
    finally:
        await consumer.stop()
    return records


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The next offset to be written, per partition of ``topic``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # loads metadata of every topic
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in offsets.items()}


def header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return bytes(value).decode()
    return None
