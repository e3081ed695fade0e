"""Kafka plumbing built from settings: producers, the FastStream broker, topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from shared.logging import BROKER_LOGGER
from shared.settings import ServiceSettings


def make_producer(settings: ServiceSettings, **overrides: object) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica; idempotent where the broker allows it."""
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotence,
        "linger_ms": 5,
        "max_batch_size": 1024 * 1024,
        "request_timeout_ms": 15_000,
        "client_id": f"pantau-{settings.service}",
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def make_broker(settings: ServiceSettings) -> KafkaBroker:
    """The service's FastStream broker (started in the FastAPI lifespan, not via the plugin)."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"pantau-{settings.service}",
        enable_idempotence=settings.kafka_idempotence,
        acks="all",
        logger=logging.getLogger(BROKER_LOGGER),  # JSON lines like the service's own logs
    )


async def ensure_topics(
    bootstrap_servers: str, topics: dict[str, int], *, attempts: int = 30
) -> None:
    """Create missing topics with explicit partition counts (existing ones are left alone)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="pantau-admin")
    for attempt in range(attempts):
        try:
            await admin.start()
            break
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=parts, replication_factor=1)
            for name, parts in topics.items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
