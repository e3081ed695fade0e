"""Reading the topics from the beginning up to their current end, without a consumer group.

Used to rebuild figures as of a past date and to replay the views into a shadow schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contract.envelope import Envelope
from shared.contract.events import EventData, parse_data
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class LogEvent:
    """One parsed record (the shape of shared.consumer.ConsumedEvent)."""

    envelope: Envelope
    data: EventData
    topic: str
    partition: int
    offset: int


async def list_partitions(settings: ServiceSettings, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, in topic and partition order."""
    consumer = _consumer(settings)
    try:  # stopped even when it could not start (no broker), or aiokafka warns of a leak
        await consumer.start()
        await consumer.topics()
        return _partitions(consumer, topics)
    finally:
        await consumer.stop()


def _consumer(settings: ServiceSettings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id=f"pantau-{settings.service}-log-reader",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )


def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    parts: list[TopicPartition] = []
    for topic in topics:
        for p in sorted(consumer.partitions_for_topic(topic) or ()):
            parts.append(TopicPartition(topic, p))
    return parts


async def read_log(
    settings: ServiceSettings,
    topics: Sequence[str],
    *,
    until: dict[TopicPartition, int] | None = None,
    start: dict[TopicPartition, int] | None = None,
    batch: int = 5_000,
    idle_ms: int = 1_500,
    partitions: Sequence[tuple[str, int]] | None = None,
) -> AsyncIterator[list[LogEvent]]:
    """Batches of parsed events from offset 0 to ``until``, or until the log is idle.

    ``partitions`` limits the reading to those (topic, partition) pairs of ``topics``.
    Without ``until`` the reader stops once no record arrived for ``idle_ms`` (some brokers,
    Tansu among them, do not report end offsets reliably). Unreadable records are skipped here:
    the live consumer already sent them to the dead-letter topic.
    """
    consumer = _consumer(settings)
    try:
        await consumer.start()
        await consumer.topics()  # loads metadata of every topic before partitions are listed
        parts = _partitions(consumer, topics)
        if partitions is not None:
            wanted = set(partitions)
            parts = [tp for tp in parts if (tp.topic, tp.partition) in wanted]
        first = start or {}
        todo = (
            set(parts)
            if until is None
            else {tp for tp in parts if until.get(tp, 0) > first.get(tp, 0)}
        )
        if not todo:
            return
        consumer.assign(sorted(todo))
        for tp in todo:
            consumer.seek(tp, first.get(tp, 0))
        while todo:
            records = await consumer.getmany(*todo, timeout_ms=idle_ms, max_records=batch)
            if not records and until is None:
                return
            out: list[LogEvent] = []
            for tp, recs in records.items():
                for rec in recs:
                    if until is not None and rec.offset >= until[tp]:
                        todo.discard(tp)
                        break
                    if until is not None and rec.offset + 1 >= until[tp]:
                        todo.discard(tp)
                    try:
                        env = Envelope.model_validate_json(rec.value or b"")
                        data = parse_data(env)
                    except ValueError:
                        continue
                    out.append(LogEvent(env, data, tp.topic, tp.partition, rec.offset))
            if out:
                yield out
    finally:
        await consumer.stop()
