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
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._infra import (
    WRK_SLICES,
    WRK_SUMMARY,
    BenchInfra,
    EventCounter,
    bench_infra,
    machine_cpu,
    outbox_drained,
    process_cpu_seconds,
    service_env,
    service_process,
    start_offsets,
    start_wrk,
    wrk_figures,
    wrk_files,
    wrk_until_read,
)
from pantau.local.procs import free_port
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


WRK_SCRIPT = (
    "-- Generated by bench/bench_registry.py: each thread posts the registrations of its file.\n"
    + WRK_SLICES
    + """function init(args)
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
"""
    + WRK_SUMMARY
)


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


@asynccontextmanager
async def registry_server(
    infra: BenchInfra, workers: int = 1
) -> AsyncIterator[tuple[str, str, int]]:
    """A registry server on a fresh database: (base url, database dsn, server pid).

    One process is ``pantau serve registry``, as deployed; more are uvicorn's ``--workers``
    (each with its own group commit; one relay publishes, the others wait on its advisory lock).
    """
    dsn = await infra.fresh_database("bench_registry")
    await migrate(dsn, "services.registry")
    port = free_port()
    # wrk repeats bodies past the end of its slice (409s): measured as non-2xx, not limited.
    env = service_env("registry", infra, dsn, port, LIMIT_DUPLICATE_NIK="1000000/minute")
    command = None
    if workers > 1:
        command = [
            *(sys.executable, "-m", "uvicorn", "services.registry.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
            *("--log-level", "warning"),
        ]
    async with service_process("registry", env, port, command) as server:
        yield f"http://127.0.0.1:{port}", dsn, server.pid


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
    """Start wrk posting ``bodies``, one slice per thread; the summary file it writes when done.

    Every request carries ``run_id`` as its X-Request-ID, so its event carries it as its
    correlation id.
    """
    script, summary = wrk_files(
        [json.dumps(body) for body in bodies],
        threads,
        workdir,
        ext="ndjson",
        name="register.lua",
        script=WRK_SCRIPT,
        token=issue_token("ministry", "ID"),
        run=run_id,
    )
    process = await start_wrk(
        wrk, url, script, seconds=seconds, threads=threads, connections=connections
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
            summary, http_done = await wrk_until_read(process, summary_file, events)
            server_cpu = process_cpu_seconds(pid) - server_cpu
            busy, total = machine_cpu()
        elapsed = events.last_read - started
        return {
            "client": f"wrk ({threads} threads, {connections} connections, {seconds:g} s)",
            "server_processes": workers,
            "connections": connections,
            "seconds": seconds,
            **wrk_figures(summary),
            "events_seen": events.count,
            "http_seconds": http_done - started,
            "end_to_end_seconds": elapsed,
            "per_second": events.count / elapsed,
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
