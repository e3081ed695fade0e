"""Registry benchmark: relay throughput beside raw aiokafka produce, and registrations per second.

Run: ``.venv/bin/python bench/bench_registry.py`` (options: ``--help``). Prints a Markdown table
and writes ``bench/results/registry.json``.

1. **Raw produce vs relay**, same run, same broker, same records: N envelopes are produced with a
   plain aiokafka producer (send every record, await every ack); then the same N envelopes are
   written to a registry database's outbox (untimed, with COPY) and the :class:`OutboxRelay` is
   timed from its start until it has published and deleted them all.
2. **Registrations per second through HTTP**: the registry runs as a real server (``pantau
   serve registry``, uvicorn, its relay inside); a client posts realistic registrations
   concurrently and the clock stops when the last ``worker-registered`` event of the run has been
   read back from ``registry.worker.v1``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench._infra import BenchInfra, bench_infra
from pantau.local.procs import free_port, terminate
from pantau.simulate import Population
from shared.auth import issue_token
from shared.contract import new_event
from shared.contract.codes import Occupation, Sex
from shared.contract.events import WorkerRegistered
from shared.contract.topics import Topic, all_topics
from shared.kafka import ensure_topics, make_producer
from shared.migrations import migrate
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings

RESULTS = Path(__file__).parent / "results"


def envelopes(n: int) -> list[tuple[uuid.UUID, str, bytes, dict[str, str]]]:
    """N worker-registered envelopes over N/4 workers, as the registry would write them."""
    subjects = [str(uuid.uuid4()) for _ in range(max(1, n // 4))]
    out = []
    for i in range(n):
        event = new_event(
            type="worker-registered",
            source="registry",
            subject=subjects[i % len(subjects)],
            sequence=i // len(subjects) + 1,
            area="53.71.01.1001",
            data=WorkerRegistered(
                sex=Sex.FEMALE,
                birth_year=1990,
                procedural=True,
                occupation=Occupation.HOUSEKEEPER,
                registered_on=date(2026, 1, 1),
            ),
        )
        out.append((event.id, event.subject, event.to_json(), event.headers()))
    return out


def settings_for(infra: BenchInfra) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=infra.bootstrap, kafka_idempotence=infra.idempotence
    )


async def raw_produce(infra: BenchInfra, records: list[Any], topic: str) -> float:
    producer = make_producer(settings_for(infra))
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(
                topic,
                value,
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
            for _id, key, value, headers in records
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def relay_publish(infra: BenchInfra, records: list[Any], topic: str, batch: int) -> float:
    dsn = await infra.fresh_database("bench_relay")
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "outbox",
            columns=["event_id", "topic", "key", "event_type", "payload", "headers"],
            records=[
                (event_id, topic, key, "worker-registered", value, json.dumps(headers))
                for event_id, key, value, headers in records
            ],
        )
        relay = OutboxRelay(dsn, settings_for(infra), batch_size=batch)
        started = time.perf_counter()
        await relay.start()
        # The clock stops when every row is acknowledged and deleted: poll the table itself.
        while await conn.fetchval("SELECT count(*) FROM outbox"):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        await relay.stop()
        return elapsed
    finally:
        await conn.close()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The registry as a real server process, its log in bench/results/registry-server.log."""
    with open(RESULTS / "registry-server.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pantau.cli", "serve", "registry", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def registrations(infra: BenchInfra, count: int, concurrency: int) -> dict[str, Any]:
    dsn = await infra.fresh_database("bench_registry")
    await migrate(dsn, "services.registry")
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": dsn,
        "REGISTRY_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "REGISTRY_KAFKA_IDEMPOTENCE": str(infra.idempotence).lower(),
        "REGISTRY_PORT": str(port),
        "REGISTRY_LOG_LEVEL": "WARNING",
    }
    server = start_server(env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as probe:
            for _ in range(300):
                try:
                    if (await probe.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("registry did not become ready (see registry-server.log)")
        start_offsets = await end_offsets(infra.bootstrap, Topic.WORKER)
        consumer = AIOKafkaConsumer(bootstrap_servers=infra.bootstrap, enable_auto_commit=False)
        await consumer.start()
        consumer.assign(list(start_offsets))
        for tp, offset in start_offsets.items():
            consumer.seek(tp, offset)

        population = Population(random.Random(7))
        bodies: list[dict[str, Any]] = []
        niks: set[str] = set()
        while len(bodies) < count:
            body = population.registration()
            if body["nik"] not in niks:
                niks.add(body["nik"])
                bodies.append(body)
        token = issue_token("ministry", "ID")
        latencies: list[float] = []
        ids: set[str] = set()
        failures = 0
        semaphore = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
        ) as client:

            async def register(body: dict[str, Any]) -> None:
                nonlocal failures
                async with semaphore:
                    sent = time.perf_counter()
                    response = await client.post("/v1/workers", json=body)
                    latencies.append(time.perf_counter() - sent)
                    if response.status_code == 201:
                        ids.add(response.json()["id"])
                    else:
                        failures += 1

            started = time.perf_counter()
            await asyncio.gather(*(register(b) for b in bodies))
            http_done = time.perf_counter()
        seen: set[str] = set()
        deadline = time.monotonic() + 120
        while seen != ids and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event["type"] == "worker-registered" and event["subject"] in ids:
                        seen.add(event["subject"])
        on_topic = time.perf_counter()
        await consumer.stop()
        latencies.sort()
        return {
            "registrations": count,
            "concurrency": concurrency,
            "accepted": len(ids),
            "refused": failures,
            "events_seen": len(seen),
            "http_seconds": http_done - started,
            "end_to_end_seconds": on_topic - started,
            "per_second": len(seen) / (on_topic - started),
            "latency_p50_ms": 1000 * statistics.median(latencies),
            "latency_p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        }
    finally:
        terminate(server)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    with bench_infra() as infra:
        topics = all_topics()
        topics.update({"bench.raw": 6, "bench.relay": 6})
        await ensure_topics(infra.bootstrap, topics)
        records = envelopes(args.events)
        await raw_produce(infra, records[:1000], "bench.raw")  # warm-up: metadata, connections
        raw = await raw_produce(infra, records, "bench.raw")
        relay = await relay_publish(infra, records, "bench.relay", args.relay_batch)
        result: dict[str, Any] = {
            "machine": f"{os.cpu_count()} cores",
            "broker": infra.broker_kind,
            "postgres": infra.postgres_kind,
            "events": args.events,
            "raw_produce_per_second": args.events / raw,
            "relay_per_second": args.events / relay,
            "relay_vs_raw": raw / relay,
        }
        result["http"] = await registrations(infra, args.registrations, args.concurrency)
    (RESULTS / "registry.json").write_text(json.dumps(result, indent=2))
    return result


def report(result: dict[str, Any]) -> str:
    http = result["http"]
    return "\n".join(
        [
            "| measure | result | target |",
            "|---|---|---|",
            f"| raw aiokafka produce ({result['events']:,} envelopes) | "
            f"{result['raw_produce_per_second']:,.0f} msg/s | — |",
            f"| outbox relay, same records, same run | {result['relay_per_second']:,.0f} msg/s "
            f"({100 * result['relay_vs_raw']:.0f}% of raw) | ≥ 50% of raw |",
            f"| registrations through HTTP, event on the topic ({http['registrations']:,}, "
            f"{http['concurrency']} concurrent) | {http['per_second']:,.0f}/s "
            f"(p50 {http['latency_p50_ms']:.1f} ms, p99 {http['latency_p99_ms']:.1f} ms) "
            f"| ≥ 1,000/s |",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--relay-batch", type=int, default=2_000)
    parser.add_argument("--registrations", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=64)
    outcome = asyncio.run(main(parser.parse_args()))
    print(json.dumps(outcome, indent=2))
    print(report(outcome))
