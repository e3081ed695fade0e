"""Registry benchmark: relay throughput beside raw aiokafka produce, and registrations per second.

Run: ``.venv/bin/python bench/bench_registry.py`` (options: ``--help``). Prints a Markdown table
and writes ``bench/results/registry.json``.

1. **Raw produce vs relay**, same run, same broker, same records: N envelopes are produced with a
   plain aiokafka producer (send every record, await every ack); then the same N envelopes are
   written to a registry database's outbox (untimed, with COPY) and the :class:`OutboxRelay` is
   timed from its start until it has published and deleted them all.
2. **Registrations per second through HTTP**: the registry runs as a real server (``pantau
   serve registry``, one uvicorn process, its relay inside). ``wrk`` (Debian package ``wrk``)
   posts pre-generated unique realistic registrations with a ministry token for a fixed number
   of seconds, each wrk thread from its own slice (a generated Lua script); the clock starts
   with wrk and stops when the last ``worker-registered`` event of the run has been read back
   from ``registry.worker.v1`` (records counted from offsets read before the run, while the
   topic is quiet: Tansu may report end offsets too low right after a multi-record produce).
   Without wrk, an httpx client posts a fixed number of registrations instead (it needs a core
   of its own, so it measures less).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench._infra import BenchInfra, bench_infra, machine_cpu, process_cpu_seconds
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
from shared.service.context import correlation_id_for
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


WRK_SCRIPT = """
-- Generated by bench/bench_registry.py: each thread posts the registrations of its own file.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("slice", threads)
end
function init(args)
  bodies = {}
  for line in io.lines(string.format("%(dir)s/slice-%%d.ndjson", slice)) do
    bodies[#bodies + 1] = line
  end
  sent = 0
  wrk.method = "POST"
  wrk.path = "/v1/workers"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer %(token)s"
  wrk.headers["X-Request-ID"] = "%(run)s"
end
function request()
  sent = sent + 1
  -- Past the end of its slice a thread repeats bodies: they come back as 409 (non-2xx).
  return wrk.format(nil, nil, nil, bodies[(sent - 1) %% #bodies + 1])
end
function done(summary, latency, requests)
  local out = io.open("%(dir)s/summary.json", "w")
  out:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "connect_errors": %%d, '
    .. '"read_errors": %%d, "write_errors": %%d, "timeouts": %%d, '
    .. '"p50_us": %%d, "p99_us": %%d, "max_us": %%d}',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  out:close()
end
"""


def unique_registrations(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Realistic registrations (pantau.simulate.Population) with pairwise different NIKs."""
    population = Population(random.Random(seed))
    bodies: list[dict[str, Any]] = []
    niks: set[str] = set()
    while len(bodies) < count:
        body = population.registration()
        if body["nik"] not in niks:
            niks.add(body["nik"])
            bodies.append(body)
    return bodies


async def start_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """End offsets, read while the topic is quiet (right after a produce Tansu may say less)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


class EventCounter:
    """Counts ``event_type`` records (``worker-registered``) from given offsets on, noting when
    the last came.

    With a ``marker`` (a run's unique correlation id) only records containing it count: the
    start offsets may be too low (Tansu) and must not let a warm-up's events in.
    """

    def __init__(
        self,
        bootstrap: str,
        offsets: dict[TopicPartition, int],
        marker: str | None = None,
        event_type: str = "worker-registered",
    ) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._offsets = offsets
        self._marker = marker.encode() if marker else None
        self._type = event_type.encode()
        self.count = 0
        self.last_read = time.perf_counter()
        self.subjects: set[str] = set()
        self.keep_subjects = False

    async def __aenter__(self) -> EventCounter:
        await self._consumer.start()
        self._consumer.assign(list(self._offsets))
        for tp, offset in self._offsets.items():
            self._consumer.seek(tp, offset)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def poll(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=100, max_records=10_000)
        for records in batch.values():
            for record in records:
                if dict(record.headers).get("event-type") != self._type:
                    continue
                if self._marker is None or self._marker in bytes(record.value or b""):
                    self.count += 1
                    self.last_read = time.perf_counter()
                    if self.keep_subjects and record.key is not None:
                        self.subjects.add(bytes(record.key).decode())

    async def until(self, done: Callable[[], bool], *, within: float) -> None:
        deadline = time.monotonic() + within
        while not done() and time.monotonic() < deadline:
            await self.poll()


@asynccontextmanager
async def registry_server(
    infra: BenchInfra, workers: int = 1
) -> AsyncIterator[tuple[str, str, int]]:
    """A registry server on a fresh database: (base url, database dsn, server pid)."""
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
        "REGISTRY_MIGRATE_ON_START": "false",  # migrated above, once
        # wrk repeats bodies past the end of its slice (409s): measured as non-2xx, not limited.
        "REGISTRY_LIMIT_DUPLICATE_NIK": "1000000/minute",
    }
    server = start_server(env, port, workers)
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
        yield url, dsn, server.pid
    finally:
        terminate(server)


def start_server(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """The registry as a real server process, its log in bench/results/registry-server.log.

    One process is ``pantau serve registry``, as deployed; more are uvicorn's ``--workers``
    (each with its own group commit; one relay publishes, the others wait on its advisory lock).
    """
    command = [sys.executable, "-m", "pantau.cli", "serve", "registry", "--port", str(port)]
    if workers > 1:
        command = [
            *(sys.executable, "-m", "uvicorn", "services.registry.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
            *("--log-level", "warning"),
        ]
    with open(RESULTS / "registry-server.log", "wb") as log:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


async def outbox_drained(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 60
        while await conn.fetchval("SELECT count(*) FROM outbox"):
            if time.monotonic() > deadline:
                raise RuntimeError("the relay did not drain the outbox")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


def wrk_files(
    bodies: list[dict[str, Any]], threads: int, workdir: Path, run_id: str
) -> tuple[Path, Path]:
    """One slice of ``bodies`` per wrk thread and the Lua script: (script, summary file).

    Every request carries ``run_id`` as its X-Request-ID, so its event carries it as its
    correlation id.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    size = -(-len(bodies) // threads)
    for t in range(threads):
        with open(workdir / f"slice-{t + 1}.ndjson", "w") as out:
            for body in bodies[t * size : (t + 1) * size]:
                out.write(json.dumps(body) + "\n")
    token = issue_token("ministry", "ID")
    script = workdir / "register.lua"
    script.write_text(WRK_SCRIPT % {"dir": workdir, "token": token, "run": run_id})
    summary = workdir / "summary.json"
    summary.unlink(missing_ok=True)
    return script, summary


async def run_wrk(
    wrk: str,
    url: str,
    bodies: list[dict[str, Any]],
    *,
    seconds: float,
    threads: int,
    connections: int,
    workdir: Path,
    run_id: str,
) -> tuple[asyncio.subprocess.Process, Path]:
    """Start wrk posting ``bodies``; the summary file it writes when done."""
    script, summary = wrk_files(bodies, threads, workdir, run_id)
    process = await asyncio.create_subprocess_exec(
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.DEVNULL,
    )
    return process, summary


async def wrk_registrations(
    infra: BenchInfra, wrk: str, *, seconds: float, threads: int, connections: int, workers: int
) -> dict[str, Any]:
    # Enough bodies for ~4,000/s (far above this machine), plus a distinct warm-up set.
    bodies = unique_registrations(int(seconds * 4_000) + 2_000)
    warm_up, measured = bodies[:2_000], bodies[2_000:]
    workdir = RESULTS / "wrk"
    async with registry_server(infra, workers) as (url, dsn, pid):
        process, _ = await run_wrk(
            wrk,
            url,
            warm_up,
            seconds=2,
            threads=threads,
            connections=connections,
            workdir=workdir / "warm-up",
            run_id=f"bench-warm-up-{uuid.uuid4().hex}",
        )
        await process.wait()
        await outbox_drained(dsn)
        await asyncio.sleep(0.5)
        offsets = await start_offsets(infra.bootstrap, Topic.WORKER)
        run_id = f"bench-run-{uuid.uuid4().hex}"
        # The run's requests carry X-Request-ID: run_id; their events the correlation id the
        # server makes of it.
        marker = correlation_id_for(run_id.encode())
        async with EventCounter(infra.bootstrap, offsets, marker=marker) as events:
            server_cpu = process_cpu_seconds(pid)
            machine_busy, machine_total = machine_cpu()
            started = time.perf_counter()
            process, summary_file = await run_wrk(
                wrk,
                url,
                measured,
                seconds=seconds,
                threads=threads,
                connections=connections,
                workdir=workdir / "run",
                run_id=run_id,
            )
            wait = asyncio.create_task(process.wait())
            while not wait.done():
                await events.poll()
            http_done = time.perf_counter()
            if await wait != 0 or not summary_file.exists():
                raise RuntimeError("wrk failed")
            summary = json.loads(summary_file.read_text())
            accepted = summary["requests"] - summary["non_2xx"]
            await events.until(lambda: events.count >= accepted, within=120)
            # Requests still in flight when wrk stopped may have been served too: take them.
            await events.until(lambda: False, within=1.0)
            server_cpu = process_cpu_seconds(pid) - server_cpu
            busy, total = machine_cpu()
        elapsed = events.last_read - started
        return {
            "client": f"wrk ({threads} threads, {connections} connections, {seconds:g} s)",
            "server_processes": workers,
            "connections": connections,
            "seconds": seconds,
            "requests": summary["requests"],
            "accepted": accepted,
            "non_2xx": summary["non_2xx"],
            "socket_errors": sum(
                summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            ),
            "events_seen": events.count,
            "http_per_second": summary["requests"] / (summary["duration_us"] / 1e6),
            "http_seconds": http_done - started,
            "end_to_end_seconds": elapsed,
            "per_second": events.count / elapsed,
            "latency_p50_ms": summary["p50_us"] / 1000,
            "latency_p99_ms": summary["p99_us"] / 1000,
            # Where the time went: the registry's own CPU per registration (server, relay,
            # group commit), and how busy the whole machine was (other work competes for the cores).
            "server_cpu_seconds": server_cpu,
            "server_cpu_ms_per_registration": 1000 * server_cpu / max(events.count, 1),
            "machine_busy_cores": (busy - machine_busy)
            / max(total - machine_total, 1e-9)
            * (os.cpu_count() or 1),
        }


async def httpx_registrations(infra: BenchInfra, count: int, concurrency: int) -> dict[str, Any]:
    """The fallback without wrk: an httpx client posting ``count`` registrations."""
    bodies = unique_registrations(count)
    async with registry_server(infra) as (url, _dsn, _pid):
        offsets = await start_offsets(infra.bootstrap, Topic.WORKER)
        token = issue_token("ministry", "ID")
        latencies: list[float] = []
        ids: set[str] = set()
        failures = 0
        semaphore = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with (
            EventCounter(infra.bootstrap, offsets) as events,
            httpx.AsyncClient(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"},
                limits=limits,
                timeout=30,
            ) as client,
        ):
            events.keep_subjects = True

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
            await events.until(lambda: ids <= events.subjects, within=120)
        elapsed = events.last_read - started
        latencies.sort()
        return {
            "client": f"httpx ({count:,} registrations, {concurrency} concurrent)",
            "connections": concurrency,
            "requests": count,
            "accepted": len(ids),
            "non_2xx": failures,
            "socket_errors": 0,
            "events_seen": events.count,
            "http_per_second": count / (http_done - started),
            "http_seconds": http_done - started,
            "end_to_end_seconds": elapsed,
            "per_second": events.count / elapsed,
            "latency_p50_ms": 1000 * statistics.median(latencies),
            "latency_p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        }


async def registrations(infra: BenchInfra, args: argparse.Namespace) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrk not found (Debian: apt-get install wrk); falling back to an httpx client, "
            "which needs a core of its own and so measures less",
            file=sys.stderr,
        )
        return await httpx_registrations(infra, args.registrations, args.concurrency)
    return await wrk_registrations(
        infra,
        wrk,
        seconds=args.seconds,
        threads=args.threads,
        connections=args.connections,
        workers=args.workers,
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    with bench_infra() as infra:
        topics = all_topics()
        topics.update({"bench.raw": 6, "bench.relay": 6})
        await ensure_topics(infra.bootstrap, topics)
        result: dict[str, Any] = {
            "machine": f"{os.cpu_count()} cores",
            "broker": infra.broker_kind,
            "postgres": infra.postgres_kind,
        }
        if not args.http_only:
            records = envelopes(args.events)
            await raw_produce(infra, records[:1000], "bench.raw")  # warm-up: metadata, connections
            raw = await raw_produce(infra, records, "bench.raw")
            relay = await relay_publish(infra, records, "bench.relay", args.relay_batch)
            result.update(
                {
                    "events": args.events,
                    "raw_produce_per_second": args.events / raw,
                    "relay_per_second": args.events / relay,
                    "relay_vs_raw": raw / relay,
                }
            )
        result["http"] = await registrations(infra, args)
    (RESULTS / "registry.json").write_text(json.dumps(result, indent=2))
    return result


def report(result: dict[str, Any]) -> str:
    http = result["http"]
    lines = ["| measure | result | target |", "|---|---|---|"]
    if "events" in result:
        lines += [
            f"| raw aiokafka produce ({result['events']:,} envelopes) | "
            f"{result['raw_produce_per_second']:,.0f} msg/s | — |",
            f"| outbox relay, same records, same run | {result['relay_per_second']:,.0f} msg/s "
            f"({100 * result['relay_vs_raw']:.0f}% of raw) | ≥ 50% of raw |",
        ]
    lines += [
        f"| registrations through HTTP, event on the topic ({http['client']}; "
        f"{http['events_seen']:,} events, {http['non_2xx']:,} non-2xx, "
        f"{http['socket_errors']:,} socket errors) | {http['per_second']:,.0f}/s end to end "
        f"(HTTP {http['http_per_second']:,.0f}/s; p50 {http['latency_p50_ms']:.1f} ms, "
        f"p99 {http['latency_p99_ms']:.1f} ms) | ≥ 1,000/s |",
    ]
    if "server_cpu_ms_per_registration" in http:
        lines.append(
            f"| registry CPU per registration ({http.get('server_processes', 1)} server "
            f"process(es), relay included; machine busy {http['machine_busy_cores']:.2f} of "
            f"{os.cpu_count()} cores during the run) | "
            f"{http['server_cpu_ms_per_registration']:.3f} ms | — |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--relay-batch", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=20, help="wrk: how long to post")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections")
    parser.add_argument("--workers", type=int, default=1, help="registry server processes")
    parser.add_argument("--registrations", type=int, default=5_000, help="httpx fallback")
    parser.add_argument("--concurrency", type=int, default=64, help="httpx fallback")
    parser.add_argument("--http-only", action="store_true", help="skip relay vs raw produce")
    outcome = asyncio.run(main(parser.parse_args()))
    print(json.dumps(outcome, indent=2))
    print(report(outcome))
