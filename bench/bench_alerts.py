"""Alerts service benchmark: a replay through the real service beside raw aiokafka consume, then
event → ``alert-raised`` latency at a steady rate.

Run: ``.venv/bin/python -m bench.bench_alerts`` (options: ``--help``). Prints a Markdown table
and writes ``bench/results/alerts.json``.

The stream is the rules micro-benchmark's synthetic year (``bench.bench_alert_rules``: real
villages of three provinces, every rule fires), split in two:

1. **Replay.** The first part is published to ``registry.worker.v1``, ``registry.agency.v1`` and
   ``cases.case.v1``. A plain aiokafka consumer reads it all (records only, no parsing): the
   ceiling. Then the service runs as deployed (``pantau serve alerts``, one process, a fresh
   database) and replays it: every record parsed and checked against the contract, its id
   recorded in the inbox, the rules applied, the changed facts, alerts and due checks written,
   the alert events put in the outbox (and published by the relay meanwhile). Events per second
   are counted from the consumer's stored positions, from the first batch committed until the
   last; the clock loop waits meanwhile (it starts once the consumer has caught up).
2. **Latency.** With the service caught up (the replayed history is its state), the rest of the
   stream is sent at a steady rate (default 1,000 events/s), each event stamped with the time it
   is sent, while the benchmark reads ``alerts.alert.v1``: for every ``alert-raised`` whose
   ``causation_id`` is an event of this phase sent after a warm-up (``--warm-up``, 2 s), the
   time from sending that event to reading the alert (both in this process's clock) is one
   sample. The service's consumer, rules, database
   commit, outbox relay and the broker are all in the path.

Targets (issue 19): p99 under 100 ms at 1,000 events/s; replay at least 20,000 events/s, on the
2-core machine (shared here by the broker, PostgreSQL, the service and this process).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench._infra import (
    BenchInfra,
    bench_infra,
    machine_cpu,
    process_cpu_seconds,
    service_env,
    service_process,
)
from bench.bench_alert_rules import synthetic_stream
from pantau.local.procs import free_port
from services.alerts.intake import CONSUMER, TOPICS
from services.alerts.ticker import behind, end_offsets
from shared.consumer import read_positions
from shared.contract.envelope import Envelope
from shared.contract.events import TOPIC_OF_TYPE
from shared.contract.topics import PARTITIONS, Topic, all_topics
from shared.kafka import ensure_topics
from shared.migrations import migrate

RESULTS = Path(__file__).parent / "results"


def _record(envelope: Envelope) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    headers = [(k, v.encode()) for k, v in envelope.headers().items()]
    return str(TOPIC_OF_TYPE[envelope.type]), envelope.subject.encode(), envelope.to_json(), headers


async def publish_all(bootstrap: str, envelopes: list[Envelope]) -> float:
    """Publish as fast as the producer goes; returns the seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    started = time.perf_counter()
    try:
        for envelope in envelopes:
            topic, key, value, headers = _record(envelope)
            await producer.send(topic, value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_consume(bootstrap: str, total: int) -> float:
    """Seconds a plain consumer takes to read ``total`` records of the three topics."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in TOPICS for p in range(PARTITIONS[t])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=20_000)
            seen += sum(len(records) for records in batch.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


@asynccontextmanager
async def alerts_server(infra: BenchInfra) -> AsyncIterator[tuple[str, str, int]]:
    """``pantau serve alerts`` on a fresh database: (base url, dsn, pid)."""
    dsn = await infra.fresh_database("bench_alerts")
    await migrate(dsn, "services.alerts")
    port = free_port()
    env = service_env("alerts", infra, dsn, port, ACCESS_LOG="false")
    async with service_process("alerts", env, port) as server:
        yield f"http://127.0.0.1:{port}", dsn, server.pid


async def replay(
    dsn: str, pid: int, ends: dict[tuple[str, int], int], total: int
) -> dict[str, float]:
    """Watch the service's stored positions from its first committed batch to the end; the
    service's CPU time over the same span."""
    conn = await asyncpg.connect(dsn)
    try:
        first_at: float | None = None
        first_done, first_cpu = 0, 0.0
        while True:
            positions = await read_positions(conn, CONSUMER)
            done = total - behind(ends, positions)
            now = time.perf_counter()
            if first_at is None and done > 0:
                first_at, first_done, first_cpu = now, done, process_cpu_seconds(pid)
            if done >= total:
                assert first_at is not None
                return {
                    "events": done - first_done,
                    "seconds": now - first_at,
                    "cpu_seconds": process_cpu_seconds(pid) - first_cpu,
                }
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def quiet(dsn: str, within: float = 600) -> None:
    """Until the service is idle: the checks that fell due during the replay have run (the
    clock loop's first tick raises them all at once), the outbox is empty and no alert changed
    for two seconds."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within
        last, stable_since = -1, time.monotonic()
        while True:
            overdue = await conn.fetchval("SELECT count(*) FROM due WHERE due_at <= now()")
            waiting = await conn.fetchval("SELECT count(*) FROM outbox")
            head = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alert_log")
            if head != last or overdue or waiting:
                last, stable_since = head, time.monotonic()
            elif time.monotonic() - stable_since > 2:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become idle")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def latency(
    bootstrap: str, envelopes: list[Envelope], rate: float, warm_up: float
) -> dict[str, Any]:
    """Send ``envelopes`` at ``rate`` per second, stamped now; time each ``alert-raised`` of
    an event sent after the first ``warm_up`` seconds (the consumer wakes from its idle polling
    and the first batches find their statements unprepared: that is not the steady state)."""
    sent_at: dict[str, float] = {}
    timed = int(rate * warm_up)
    samples: list[float] = []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
    )
    await consumer.start()
    partitions = [TopicPartition(Topic.ALERT, p) for p in range(PARTITIONS[Topic.ALERT])]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for tp in partitions:
        await consumer.position(tp)  # resolve the end now, before anything is sent
    sending_done = asyncio.Event()

    async def read() -> None:
        quiet_since: float | None = None
        while True:
            batch = await consumer.getmany(timeout_ms=50)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    value = json.loads(record.value)
                    cause = value.get("causation_id")
                    if value["type"] == "alert-raised" and cause in sent_at:
                        samples.append(now - sent_at[cause])
            if sending_done.is_set():
                quiet_since = quiet_since or now
                if batch:
                    quiet_since = now
                if now - quiet_since > 3:
                    return

    reader = asyncio.create_task(read())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    started = time.perf_counter()
    try:
        for i, envelope in enumerate(envelopes):
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            live = envelope.model_copy(update={"time": datetime.now(UTC)})
            topic, key, value, headers = _record(live)
            if i >= timed:
                sent_at[str(live.id)] = time.perf_counter()
            await producer.send(topic, value, key=key, headers=headers)
        await producer.flush()
        achieved = len(envelopes) / (time.perf_counter() - started)
    finally:
        await producer.stop()
    sending_done.set()
    await reader
    await consumer.stop()
    samples.sort()
    ms = [s * 1000 for s in samples]
    return {
        "events": len(envelopes),
        "warm_up_events": timed,
        "rate_asked": rate,
        "rate_achieved": achieved,
        "alerts_timed": len(ms),
        "p50_ms": statistics.median(ms) if ms else None,
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else None,
        "max_ms": ms[-1] if ms else None,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    stream = synthetic_stream(workers=args.workers)
    live_count = min(int(args.rate * args.seconds), len(stream) // 3)
    history, live = stream[:-live_count], stream[-live_count:]
    # The stream is a large heap of this process's own: out of the collector's walks, or a full
    # collection would pause the sending and the reading of the latency part and be timed too.
    gc.collect()
    gc.freeze()
    with bench_infra() as infra:
        await ensure_topics(infra.bootstrap, all_topics())
        await publish_all(infra.bootstrap, history)
        ends = await end_offsets(infra.bootstrap)
        total = sum(ends.values())
        raw = await raw_consume(infra.bootstrap, total)
        busy_before, all_before = machine_cpu()
        async with alerts_server(infra) as (_url, dsn, pid):
            replayed = await replay(dsn, pid, ends, total)
            busy_after, all_after = machine_cpu()
            await quiet(dsn)
            conn = await asyncpg.connect(dsn)
            try:
                alerts_after_replay = await conn.fetchval("SELECT count(*) FROM alerts")
            finally:
                await conn.close()
            cpu_before_live = process_cpu_seconds(pid)
            timed = await latency(infra.bootstrap, live, args.rate, args.warm_up)
            live_cpu = process_cpu_seconds(pid) - cpu_before_live
        result: dict[str, Any] = {
            "machine": f"{os.cpu_count()} cores",
            "broker": infra.broker_kind,
            "postgres": infra.postgres_kind,
            "load_before": load_before,
            "load_average": os.getloadavg(),
            "replay": {
                "events_on_topics": total,
                "raw_consume_per_second": total / raw,
                "events_timed": replayed["events"],
                "per_second": replayed["events"] / replayed["seconds"],
                "per_service_cpu_second": replayed["events"] / replayed["cpu_seconds"],
                "machine_cores_busy": (busy_after - busy_before)
                / max(1e-9, (all_after - all_before))
                * (os.cpu_count() or 1),
                "alerts": alerts_after_replay,
            },
            "latency": {**timed, "service_cpu_ms_per_event": 1000 * live_cpu / timed["events"]},
        }
    (RESULTS / "alerts.json").write_text(json.dumps(result, indent=2))
    return result


def report(result: dict[str, Any]) -> str:
    replay, live = result["replay"], result["latency"]
    lines = [
        "| measure | result | target |",
        "|---|---|---|",
        f"| raw aiokafka consume, {replay['events_on_topics']:,} events (records only) | "
        f"{replay['raw_consume_per_second']:,.0f} events/s | — |",
        f"| replay through `pantau serve alerts` (parse, inbox, rules, state, outbox; "
        f"{replay['alerts']:,} alerts) | **{replay['per_second']:,.0f} events/s** "
        f"({replay['per_service_cpu_second']:,.0f} per second of the service's CPU; "
        f"{replay['machine_cores_busy']:.1f} of {result['machine']} busy) | ≥ 20,000 events/s |",
        f"| event → `alert-raised` on the topic at {live['rate_achieved']:,.0f} events/s "
        f"({live['events']:,} events, the first {live['warm_up_events']:,} untimed; "
        f"{live['alerts_timed']:,} alerts timed) | "
        f"**p50 {live['p50_ms']:.1f} ms, p99 {live['p99_ms']:.1f} ms** "
        f"(max {live['max_ms']:.0f} ms; service CPU {live['service_cpu_ms_per_event']:.2f} ms "
        f"per event) | p99 < 100 ms |",
        "",
        f"Load average before / after: {result['load_before'][0]:.1f} / "
        f"{result['load_average'][0]:.1f}.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=50_000, help="workers in the stream")
    parser.add_argument("--rate", type=float, default=1_000, help="events/s in the latency part")
    parser.add_argument("--seconds", type=float, default=30, help="length of the latency part")
    parser.add_argument(
        "--warm-up", type=float, default=2, help="seconds of the latency part not timed"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    outcome = asyncio.run(main(parse_args()))
    print(report(outcome))
