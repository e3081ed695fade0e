"""Reporting benchmark: projection rate, summary latency at national scale, full replay.

Run: ``.venv/bin/python -m bench.bench_reporting`` (``--quick`` for a short run, ``--summary-only``
for part 2 alone, ``--projection-only`` for part 1 alone; ``--help``).
Broker and PostgreSQL come from ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` or are started
locally (embedded Tansu, throw-away PostgreSQL cluster with fsync on). Prints a Markdown table
and writes ``bench/results/reporting.json``.

1. **Sustained projection rate.** A realistic mix of events (workers registered, verified,
   charged fees, departed, returned; cases opened, escalated, acted on, closed; alerts raised and
   resolved; agencies licensed; a subject's events far apart, as on a national log; see
   ``bench/_reporting_data.py``) is produced to the four figure topics (untimed). Then, side by
   side in the same run: (a) a raw aiokafka consumer reads all of them (``getmany`` loop, no
   parsing); (b) asyncpg upserts the same number of rows into a plain table (``unnest`` INSERT …
   ON CONFLICT DO UPDATE, one transaction per batch of the same size); (c) the real service,
   ``pantau serve reporting`` with 1 and with ``--processes`` server processes (every process
   is a member of the node's consumer group) into a fresh database, timed from its start until
   its stored positions reach the end offsets counted from the producer's own acks (Tansu may
   report end offsets too low right after a burst of produces). Before them, one untimed run of
   the same projection (``--no-warm-up`` skips it) brings PostgreSQL to the state of a server
   that has been running: its WAL segment files exist and are recycled. CPU time per event of the
   service's processes, PostgreSQL and the broker, and the machine's busy cores, are read from
   /proc over the steady window (first applied batch to the end; start-up is not per event).
2. **Summary latency at national scale.** The figures a national node holds after projecting N
   workers (default 10 million) over the real 83,763 villages, with proportional fees, cases,
   alerts and agencies: the per-village state is drawn and aggregated in PostgreSQL, then fed
   through the projection's own ``ExtraAreas`` / ``apply_leaves`` (PostgreSQL expands them to
   every ancestor) in chunks (the per-subject ``subjects`` rows and the ``monthly`` series are
   not written: the summary reads neither). Then ``GET /v1/areas/{code}/summary`` is timed through
   HTTP against the real app (``pantau serve reporting``, uvicorn) and ``read_summary`` directly,
   for the nation, a province, a regency, a district and a village.
3. **Full replay.** More events are produced so that the topics hold ``--replay-events`` in
   all, the running service (the multi-process run of 1) catches up, and then the replay
   (``services.reporting.replay.replay``, what ``pantau replay reporting`` runs) rebuilds the
   views from offset 0 into the shadow schema and swaps them in, timed to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench._infra import (
    BenchInfra,
    bench_infra,
    command_cpu_seconds,
    machine_cpu,
    machine_speed,
    process_cpu_seconds,
)
from bench._reporting_data import event_stream, national_state
from pantau.local.procs import free_port, terminate
from services.reporting.checksums import read_checksums
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.store import ExtraAreas, apply_leaves
from services.reporting.replay import replay
from services.reporting.settings import ReportingSettings
from services.reporting.summary import read_summary
from shared.areas import areas
from shared.auth import issue_token
from shared.contract.topics import all_topics
from shared.gc_tuning import tune_for_batches
from shared.kafka import ensure_topics, make_producer
from shared.logging import configure_logging
from shared.migrations import migrate

RESULTS = Path(__file__).parent / "results"
Ends = dict[tuple[str, int], int]


def code_revision() -> str:
    """The commit measured, and whether services/reporting had uncommitted changes."""
    root = Path(__file__).parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "services/reporting", "shared"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} (uncommitted changes under services/reporting or shared)" if dirty else head


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def reporting_settings(infra: BenchInfra, dsn: str) -> ReportingSettings:
    tansu = not infra.idempotence
    return ReportingSettings(
        database_url=dsn,
        kafka_bootstrap_servers=infra.bootstrap,
        kafka_idempotence=infra.idempotence,
        # Tansu makes a group join wait half the session timeout; Kafka refuses < 6 s by default.
        kafka_session_timeout_ms=2_000 if tansu else 6_000,
        publish_enabled=False,
        log_level="WARNING",
    )


# -- producing (untimed) -------------------------------------------------------------------------


async def produce(infra: BenchInfra, total: int, seed: int, ends: Ends) -> float:
    """Produce ``total`` generated events; update ``ends`` from the acks. Returns seconds."""
    producer = make_producer(reporting_settings(infra, ""), linger_ms=20, request_timeout_ms=60_000)
    await producer.start()
    started = time.perf_counter()
    pending: list[Any] = []
    try:
        for chunk in event_stream(total, seed=seed):
            # Wait for the previous chunk's acks only now: generation overlaps the broker's work.
            for meta in await asyncio.gather(*pending):
                key = (meta.topic, meta.partition)
                ends[key] = max(ends.get(key, 0), meta.offset + 1)
            pending = [
                await producer.send(topic, value, key=key, headers=headers)
                for topic, key, value, headers in chunk
            ]
        for meta in await asyncio.gather(*pending):
            key = (meta.topic, meta.partition)
            ends[key] = max(ends.get(key, 0), meta.offset + 1)
    finally:
        await producer.stop()
    return time.perf_counter() - started


# -- 1a. raw consume -----------------------------------------------------------------------------


async def raw_consume(bootstrap: str, ends: Ends, batch: int) -> float:
    total = sum(ends.values())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for (t, p), end in sorted(ends.items()) if end > 0]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = 0
        started = time.perf_counter()
        while seen < total:
            got = await consumer.getmany(timeout_ms=1_000, max_records=batch)
            seen += sum(len(records) for records in got.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


# -- 1b. plain batched upserts -------------------------------------------------------------------

_UPSERT = (
    "INSERT INTO bench_upsert AS t (k, kind, n, amount)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[])"
    " ON CONFLICT (k) DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount"
)


async def plain_upserts(infra: BenchInfra, rows: int, batch: int) -> float:
    """``rows`` rows upserted ``batch`` at a time, one committed transaction per batch."""
    dsn = await infra.fresh_database("bench_upsert")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE bench_upsert (k text PRIMARY KEY, kind text NOT NULL,"
            " n bigint NOT NULL, amount numeric NOT NULL)"
        )
        # About three rows per key, as events per subject: later batches update earlier rows.
        keys = [str(uuid.uuid4()) for _ in range(max(batch, rows // 3))]
        started = time.perf_counter()
        for start in range(0, rows, batch):
            size = min(batch, rows - start)
            ks = sorted(keys[(start + j) % len(keys)] for j in range(size))
            async with conn.transaction():
                await conn.execute(
                    _UPSERT, ks, ["worker"] * size, [1] * size, [Decimal(100_000)] * size
                )
        return time.perf_counter() - started
    finally:
        await conn.close()


# -- 1c / 3. the real projection and the real replay -------------------------------------------


def service_env(infra: BenchInfra, dsn: str, port: int, workers: int, batch: int) -> dict[str, str]:
    return {
        **os.environ,
        "REPORTING_DATABASE_URL": dsn,
        "REPORTING_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "REPORTING_KAFKA_IDEMPOTENCE": str(infra.idempotence).lower(),
        "REPORTING_KAFKA_SESSION_TIMEOUT_MS": "2000" if not infra.idempotence else "6000",
        # Every run reads the topics from offset 0 as a new node: its own consumer group.
        "REPORTING_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:8]}",
        "REPORTING_PUBLISH_ENABLED": "false",
        "REPORTING_PORT": str(port),
        "REPORTING_WORKERS": str(workers),
        "REPORTING_CONSUMER_BATCH_SIZE": str(batch),
        "REPORTING_LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def reporting_service(
    infra: BenchInfra, dsn: str, workers: int, batch: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``pantau serve reporting`` with ``workers`` processes (each a member of the group)."""
    port = free_port()
    with open(RESULTS / "reporting-server.log", "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "pantau.cli", "serve", "reporting"],
            env=service_env(infra, dsn, port, workers, batch),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        yield server
    finally:
        terminate(server)


async def positions(conn: asyncpg.Connection) -> dict[tuple[str, int], int]:
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_positions WHERE consumer = 'reporting'"
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def caught_up(conn: asyncpg.Connection, ends: Ends, limit_seconds: float = 3_600) -> None:
    deadline = time.monotonic() + limit_seconds
    while True:
        done = await positions(conn)
        if all(done.get(k, 0) >= end for k, end in ends.items() if end > 0):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the reporting service did not catch up (reporting-server.log)")
        await asyncio.sleep(0.05)


def _cpu_now(pid: int) -> tuple[float, float, float, float]:
    """CPU seconds so far: the service's processes, PostgreSQL, the broker, the whole machine."""
    return (
        process_cpu_seconds(pid),
        command_cpu_seconds("postgres"),
        command_cpu_seconds("tansu"),
        machine_cpu()[0],
    )


async def project_service(
    infra: BenchInfra, dsn: str, ends: Ends, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """Time the running service from its start until its positions reach ``ends``."""
    total = sum(ends.values())
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        first: float | None = None
        first_done = 0
        cpu0 = _cpu_now(server.pid)
        while True:
            if server.poll() is not None:
                raise RuntimeError("the reporting service exited (reporting-server.log)")
            done = await positions(conn)
            applied = sum(done.values())
            if first is None and applied:
                first, first_done = time.perf_counter(), applied
                # CPU over the steady window only: start-up (imports, the area hierarchy,
                # migrations, the group join) is not per-event work.
                cpu0 = _cpu_now(server.pid)
            if all(done.get(k, 0) >= end for k, end in ends.items() if end > 0):
                break
            await asyncio.sleep(0.05)
        finished = time.perf_counter()
        service_cpu, postgres_cpu, tansu_cpu, machine_busy = (
            now - then for now, then in zip(_cpu_now(server.pid), cpu0, strict=True)
        )
        meta = await conn.fetchrow("SELECT events, skipped FROM projection.meta")
        assert meta is not None
        inbox = await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'reporting'")
        cube_rows = await conn.fetchval("SELECT count(*) FROM projection.cube")
    finally:
        await conn.close()
    assert first is not None
    steady = finished - first
    steady_events = max(1, total - first_done)
    return {
        "events": total,
        "seconds_from_start": finished - started,
        "start_join_and_first_batch_seconds": first - started,
        "per_second_from_start": total / (finished - started),
        "per_second_steady": (total - first_done) / steady if steady > 0 else float("nan"),
        # Over the steady window (first applied batch to the end), per event applied in it.
        "cpu_us_per_event": {
            "reporting_processes": 1e6 * service_cpu / steady_events,
            "postgres": 1e6 * postgres_cpu / steady_events,
            "tansu": 1e6 * tansu_cpu / steady_events,
        },
        "machine_cores_busy": machine_busy / steady if steady > 0 else float("nan"),
        "inbox_rows": inbox,
        "events_applied": meta["events"],
        "events_skipped": meta["skipped"],
        "cube_rows": cube_rows,
    }


async def warm_up_run(infra: BenchInfra, ends: Ends, args: argparse.Namespace) -> dict[str, Any]:
    """One untimed projection of the same stream, so that the timed runs meet PostgreSQL as a
    running server is: a cluster writing its first gigabyte of WAL creates and zero-fills each
    16 MB segment file (measured here: a tenth of PostgreSQL's CPU in the first run, none once
    segments are recycled) and touches its shared memory for the first time."""
    print(f"[projection] warm-up run ({args.processes} process(es), untimed) …", flush=True)
    dsn = await infra.fresh_database("bench_projection_warm_up")
    await migrate(dsn, "services.reporting")
    try:
        with reporting_service(infra, dsn, args.processes, args.batch) as server:
            run = await project_service(infra, dsn, dict(ends), server)
    finally:
        await drop_database(infra, dsn)
    print(f"[projection] warm-up {run}", flush=True)
    return {"processes": args.processes, **run}


async def time_replay(infra: BenchInfra, dsn: str) -> dict[str, Any]:
    """``pantau replay reporting``'s work, timed in this process (the service keeps running)."""
    settings = reporting_settings(infra, dsn)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done - last[0] >= 100_000:
            last[0] = done
            print(f"[replay] {done:,} / {total:,}", flush=True)

    started = time.perf_counter()
    outcome = await replay(settings, progress, os.cpu_count() or 1)
    return {
        "events": outcome.events,
        "tail_events": outcome.tail_events,
        "seconds": time.perf_counter() - started,
        "per_second": outcome.events / (time.perf_counter() - started),
    }


# -- 2. summary at national scale ----------------------------------------------------------------


async def build_national(infra: BenchInfra, workers: int) -> tuple[str, dict[str, Any]]:
    dsn = await infra.fresh_database("bench_national")
    await migrate(dsn, "services.reporting")
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        state = await national_state(conn, workers)
        drawn = time.perf_counter()
        keys, extra_areas = FigureKeys(dsn), ExtraAreas(dsn)
        async for leaf in state.chunks():
            async with conn.transaction():
                await extra_areas.note(conn, {k[0] for k in leaf})
                await apply_leaves(conn, keys, leaf, track_dirty=False)
        await conn.execute(
            "UPDATE projection.meta SET events = $1, last_event_time = $2",
            workers,
            datetime.now(UTC),
        )
        written = time.perf_counter()
        await conn.execute("DROP TABLE bench_workers; DROP TABLE bench_fees")
        await conn.execute("VACUUM ANALYZE projection.cube")
        await conn.execute("VACUUM ANALYZE projection.cells")
        sizes = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM projection.cube) AS cube_rows,"
            " (SELECT count(*) FROM projection.cells) AS cell_rows,"
            " pg_total_relation_size('projection.cube') AS cube_bytes,"
            " (SELECT sum(n) FROM projection.figures WHERE area = 'ID' AND metric = 'workers')"
            " AS national_workers"
        )
        assert sizes is not None
    finally:
        await conn.close()
    return dsn, {
        **state.counts,
        "draw_and_aggregate_seconds": drawn - started,
        "expand_and_apply_seconds": written - drawn,
        "cube_rows": sizes["cube_rows"],
        "cell_rows": sizes["cell_rows"],
        "cube_mb": sizes["cube_bytes"] / 2**20,
        "national_workers_in_cube": int(sizes["national_workers"]),
    }


def sample_areas() -> dict[str, str]:
    """The nation, NTT (53), its regency with the most villages, that regency's largest
    district, and that district's first village: the heaviest path through the hierarchy."""
    index = areas()

    def size(code: str) -> int:
        return sum(1 for c in index.descendants(code) if c.count(".") == 3)

    regency = max(index.children("53"), key=size)
    district = max(index.children(regency), key=lambda c: len(index.children(c)))
    village = index.children(district)[0]
    return {
        "national": "ID",
        "province": "53",
        "regency": regency,
        "district": district,
        "village": village,
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_ms": 1000 * ordered[-1],
    }


Read = Callable[[asyncpg.Connection, str], Awaitable[dict[str, Any]]]


async def time_reads(
    dsn: str, codes: dict[str, str], requests: int, read: Read, warm: int = 10
) -> dict[str, Any]:
    """``read`` of each area in a REPEATABLE READ read-only snapshot, as the API runs it; the
    first ``warm`` reads warm the caches and are not counted."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    out: dict[str, Any] = {}
    try:
        for level, code in codes.items():
            samples: list[float] = []
            for i in range(requests + warm):
                t0 = time.perf_counter()
                async with (
                    pool.acquire() as proxy,
                    proxy.transaction(isolation="repeatable_read", readonly=True),
                ):
                    body = await read(cast(asyncpg.Connection, proxy), code)
                if i >= warm:
                    samples.append(time.perf_counter() - t0)
            out[level] = {"area": code, "children": len(body["children"]), **percentiles(samples)}
    finally:
        await pool.close()
    return out


async def time_direct(dsn: str, codes: dict[str, str], requests: int) -> dict[str, Any]:
    """``read_summary``, as the API's summary endpoint runs it."""

    async def read(conn: asyncpg.Connection, code: str) -> dict[str, Any]:
        return await read_summary(conn, code, scope="ID", consumer="reporting")

    return await time_reads(dsn, codes, requests, read)


async def time_checksums(dsn: str, codes: dict[str, str], requests: int) -> dict[str, Any]:
    """``read_checksums`` (each over the area's whole subtree, as `pantau compare` asks for it);
    the nation's reads every figure row of the node."""

    async def read(conn: asyncpg.Connection, code: str) -> dict[str, Any]:
        return await read_checksums(conn, code, scope="ID", consumer="reporting")

    return await time_reads(dsn, codes, requests, read, warm=2)


def start_server(infra: BenchInfra, dsn: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REPORTING_DATABASE_URL": dsn,
        "REPORTING_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "REPORTING_KAFKA_IDEMPOTENCE": str(infra.idempotence).lower(),
        "REPORTING_KAFKA_SESSION_TIMEOUT_MS": "2000" if not infra.idempotence else "6000",
        "REPORTING_PUBLISH_ENABLED": "false",
        "REPORTING_PORT": str(port),
        "REPORTING_LOG_LEVEL": "WARNING",
    }
    with open(RESULTS / "reporting-server.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pantau.cli", "serve", "reporting", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def time_http(
    infra: BenchInfra, dsn: str, codes: dict[str, str], requests: int
) -> dict[str, Any]:
    """One client, one request at a time, against the real app in its own process."""
    port = free_port()
    server = start_server(infra, dsn, port)
    out: dict[str, Any] = {}
    try:
        url = f"http://127.0.0.1:{port}"
        token = issue_token("ministry", "ID")
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            for _ in range(600):
                with suppress(httpx.TransportError):
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("reporting did not become ready (see reporting-server.log)")
            for level, code in codes.items():
                samples: list[float] = []
                size = 0
                for i in range(requests + 10):
                    t0 = time.perf_counter()
                    response = await client.get(f"/v1/areas/{code}/summary")
                    elapsed = time.perf_counter() - t0
                    response.raise_for_status()
                    size = len(response.content)
                    if i >= 10:
                        samples.append(elapsed)
                out[level] = {"area": code, "response_bytes": size, **percentiles(samples)}
    finally:
        terminate(server)
    return out


async def drop_database(infra: BenchInfra, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[-1].split("?")[0]
    conn = await asyncpg.connect(infra.server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


# -- main ----------------------------------------------------------------------------------------


async def summary_latency(infra: BenchInfra, args: argparse.Namespace) -> dict[str, Any]:
    """Part 2, run first while the topics are empty: the app's own consumer has nothing to do."""
    print(f"[summary] building the state of {args.workers:,} workers …", flush=True)
    dsn, built = await build_national(infra, args.workers)
    codes = sample_areas()
    print(f"[summary] built in {built['expand_and_apply_seconds']:.0f} s; timing …", flush=True)
    summary = {
        "state": built,
        "load_average": load_average(),
        "direct": await time_direct(dsn, codes, args.requests),
        "http": await time_http(infra, dsn, codes, args.requests),
        "checksums": await time_checksums(dsn, codes, max(5, args.requests // 20)),
    }
    print(f"[summary] {json.dumps(summary, default=str)}", flush=True)
    await drop_database(infra, dsn)
    return summary


async def replay_beside_service(
    infra: BenchInfra, dsn: str, ends: Ends, args: argparse.Namespace
) -> dict[str, Any]:
    """Part 3: top the topics up to ``--replay-events``, then time a full replay beside the app."""
    extra = max(0, args.replay_events - sum(ends.values()))
    print(f"[replay] producing {extra:,} more events …", flush=True)
    await produce(infra, extra, 2, ends)
    conn = await asyncpg.connect(dsn)
    try:
        await caught_up(conn, ends)
    finally:
        await conn.close()
    load = load_average()
    print(f"[replay] replaying {sum(ends.values()):,} events …", flush=True)
    return {
        "how": "services.reporting.replay.replay (pantau replay reporting) while the "
        f"service ({args.processes} processes) runs on the same database",
        "load_average_before": load,
        **await time_replay(infra, dsn),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    configure_logging(service="bench", json=False, level="WARNING")
    # FastStream logs two lines per batch at INFO and resets its logger's level on start.
    logging.getLogger("faststream.access.kafka").addFilter(lambda r: r.levelno >= logging.WARNING)
    tune_for_batches()  # as the reporting service does at start-up
    began = time.perf_counter()
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_at_start": load_average(),
        "machine_speed_at_start": machine_speed(RESULTS),
        "code": code_revision(),
        "options": vars(args),
    }
    with bench_infra() as infra:
        result["broker"] = infra.broker_kind
        result["postgres"] = infra.postgres_kind
        await ensure_topics(infra.bootstrap, all_topics())

        if not args.projection_only:
            result["summary"] = await summary_latency(infra, args)
            if args.summary_only:
                return _finish(result, began)

        print(f"[projection] producing {args.events:,} events …", flush=True)
        ends: Ends = {}
        produce_seconds = await produce(infra, args.events, 1, ends)
        projected = sum(ends.values())
        load = load_average()
        print("[projection] raw consume …", flush=True)
        raw = await raw_consume(infra.bootstrap, ends, args.batch)
        print("[projection] plain upserts …", flush=True)
        upserts = await plain_upserts(infra, args.events, args.batch)
        warm_up = None if args.no_warm_up else await warm_up_run(infra, ends, args)
        runs: dict[str, Any] = {}
        for workers in sorted({1, args.processes}):
            print(f"[projection] the service, {workers} process(es) …", flush=True)
            dsn = await infra.fresh_database(f"bench_projection_{workers}")
            await migrate(dsn, "services.reporting")
            replay_here = workers == args.processes and not args.projection_only
            with reporting_service(infra, dsn, workers, args.batch) as server:
                runs[str(workers)] = await project_service(infra, dsn, dict(ends), server)
                load_after = load_average()  # the last run is the N-process one
                print(f"[projection] {runs[str(workers)]}", flush=True)
                if replay_here:
                    result["replay"] = await replay_beside_service(infra, dsn, ends, args)
            await drop_database(infra, dsn)
        result["projection"] = {
            "events": projected,
            "batch": args.batch,
            "produce_seconds_untimed": produce_seconds,
            "load_average_before": load,
            "raw_consume_per_second": projected / raw,
            "plain_upsert_rows_per_second": args.events / upserts,
            "runs": runs,
            "warm_up": warm_up,
            "processes": args.processes,
            "load_average_after": load_after,
        }
    return _finish(result, began)


def _finish(result: dict[str, Any], began: float) -> dict[str, Any]:
    result["wall_seconds"] = time.perf_counter() - began
    result["load_average_at_end"] = load_average()
    result["machine_speed_at_end"] = machine_speed(RESULTS)
    (RESULTS / "reporting.json").write_text(json.dumps(result, indent=2, default=str))
    return result


def _rows(result: dict[str, Any]) -> Iterable[str]:
    yield from _projection_rows(result)
    yield from _summary_rows(result)
    yield from _replay_rows(result)


def _projection_rows(result: dict[str, Any]) -> Iterable[str]:
    if "projection" not in result:
        return
    p = result["projection"]
    yield (
        f"| raw aiokafka consume, {p['events']:,} events (getmany, batch {p['batch']:,}) | "
        f"{p['raw_consume_per_second']:,.0f} events/s | — |"
    )
    yield (
        f"| asyncpg unnest upsert, {p['events']:,} rows, {p['batch']:,}/tx, plain table | "
        f"{p['plain_upsert_rows_per_second']:,.0f} rows/s | — |"
    )
    for workers, run in sorted(p["runs"].items(), key=lambda kv: int(kv[0])):
        cpu = run["cpu_us_per_event"]
        yield (
            f"| projection, `pantau serve reporting` with {workers} process(es), steady "
            f"(CPU per event: reporting {cpu['reporting_processes']:.0f} µs, PostgreSQL "
            f"{cpu['postgres']:.0f} µs, broker {cpu['tansu']:.0f} µs; machine "
            f"{run['machine_cores_busy']:.2f} of {os.cpu_count()} cores busy) | "
            f"{run['per_second_steady']:,.0f} events/s "
            f"({run['per_second_from_start']:,.0f}/s incl. "
            f"{run['start_join_and_first_batch_seconds']:.1f} s start-up, group join and "
            f"first batch) | ≥ 25,000 events/s |"
        )
    if warm := p.get("warm_up"):
        yield (
            f"| … the untimed warm-up run before them ({warm['processes']} process(es), "
            f"PostgreSQL {warm['cpu_us_per_event']['postgres']:.0f} µs per event) | "
            f"{warm['per_second_steady']:,.0f} events/s | — |"
        )


def _summary_rows(result: dict[str, Any]) -> Iterable[str]:
    if "summary" not in result:
        return
    s = result["summary"]
    st = s["state"]
    for level, http in s["http"].items():
        direct = s["direct"][level]
        yield (
            f"| summary {level} `{http['area']}` ({direct['children']} children), "
            f"{st['workers']:,} workers | "
            f"HTTP p50 {http['p50_ms']:.1f} / p99 {http['p99_ms']:.1f} ms; "
            f"direct p50 {direct['p50_ms']:.1f} / p99 {direct['p99_ms']:.1f} ms | p99 < 50 ms |"
        )
    for level, sums in s.get("checksums", {}).items():
        yield (
            f"| subtree checksums {level} `{sums['area']}` ({sums['children']} children, "
            f"`pantau compare`), {st['workers']:,} workers | p50 {sums['p50_ms']:,.0f} / max "
            f"{sums['max_ms']:,.0f} ms | — |"
        )


def _replay_rows(result: dict[str, Any]) -> Iterable[str]:
    if "replay" not in result:
        return
    r = result["replay"]
    yield (
        f"| full replay of {r['events']:,} events (`pantau replay reporting`, swap included; "
        f"{r['tail_events']:,} applied during the swap) | "
        f"{r['seconds']:.1f} s ({r['per_second']:,.0f} events/s) | < 60 s |"
    )


def _speed(result: dict[str, Any], name: str, unit: str) -> str:
    values = [result.get(f"machine_speed_at_{when}", {}).get(name) for when in ("start", "end")]
    shown = " / ".join("-" if v is None else f"{v:.2f}" for v in values)
    return f"{shown} {unit}"


def report(result: dict[str, Any]) -> str:
    notes = [
        "",
        f"Load average (1/5/15 min): start {result['load_average_at_start']}, "
        f"before projection {result.get('projection', {}).get('load_average_before', '-')}, "
        f"before replay {result.get('replay', {}).get('load_average_before', '-')}, "
        f"end {result['load_average_at_end']}. Code: {result.get('code', '?')}. "
        f"Broker: {result['broker']}; "
        f"PostgreSQL: {result['postgres']} (fsync on). Machine yardsticks (start / end): "
        f"{_speed(result, 'python_loop_ns', 'ns per pure-Python loop step')}, "
        f"{_speed(result, 'fsync_8k_ms', 'ms per synced 8 KiB write')}.",
    ]
    if "summary" in result:
        st = result["summary"]["state"]
        notes.append(
            f"Summary state: {st['workers']:,} workers over {st['villages_with_workers']:,} "
            f"villages, {st['fees']:,} fees, {st['cases']:,} cases, {st['alerts_open']:,} open "
            f"alerts, {st['agencies']} agencies; drawn and aggregated per village in PostgreSQL "
            f"({st['draw_and_aggregate_seconds']:.0f} s), then {st['leaf_rows']:,} leaf rows fed "
            f"through the projection's ExtraAreas/apply_leaves "
            f"({st['expand_and_apply_seconds']:.0f} s) -> {st['cube_rows']:,} cube rows "
            f"({st['cube_mb']:,.0f} MB), {st['cell_rows']:,} cells; subjects and monthly rows "
            "not written (the summary reads neither); VACUUM ANALYZE after the load."
        )
    if "replay" in result:
        notes.append(f"Replay: {result['replay']['how']}.")
    return "\n".join(["| measure | result | target |", "|---|---|---|", *_rows(result), *notes])


QUICK = {"workers": 200_000, "events": 30_000, "replay_events": 60_000, "requests": 50}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--replay-events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="summary requests per level")
    parser.add_argument(
        "--batch",
        type=int,
        default=ReportingSettings.model_fields["consumer_batch_size"].default,
        help="consumer batch (REPORTING_CONSUMER_BATCH_SIZE), also of the raw baselines",
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="reporting server processes (REPORTING_WORKERS)"
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="time the projection on PostgreSQL as it is (no untimed run before)",
    )
    parser.add_argument(
        "--projection-only",
        action="store_true",
        help="only part 1: the projection runs and their baselines (no summary, no replay)",
    )
    parser.add_argument("--quick", action="store_true", help=f"small run: {QUICK}")
    parser.add_argument(
        "--summary-only", action="store_true", help="only part 2: summary latency at scale"
    )
    options = parser.parse_args()
    if options.quick:
        for name, value in QUICK.items():
            if getattr(options, name) == parser.get_default(name):
                setattr(options, name, value)
    outcome = asyncio.run(main(options))
    print(report(outcome))
