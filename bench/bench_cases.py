"""Cases benchmark: case intake per second through HTTP, and the worker replica's catch-up rate.

Run: ``.venv/bin/python -m bench.bench_cases`` (``--help`` for the options). Broker and
PostgreSQL come from ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` or are started locally
(embedded Tansu, a throw-away PostgreSQL cluster with fsync on). Prints a Markdown table and
writes ``bench/results/cases.json``.

1. **Case intake through HTTP, event on the topic.** The service runs as a real server (``pantau
   serve cases``: one uvicorn process, its relay and consumers inside) on a fresh database.
   ``wrk`` (Debian package ``wrk``) posts realistic intakes — unregistered workers in villages
   drawn as ``pantau simulate`` draws them, the real categories, a GBV type for some — each
   with the token of its village's officer (500 officers), for a fixed number of seconds,
   after a warm-up. The clock starts with wrk and stops when the last ``case-opened`` event of
   the run (marked by the correlation id the server makes of the run's ``X-Request-ID``) has
   been read back from ``cases.case.v1``.
2. **The replica's catch-up beside raw consume, same run, same records.** N worker events (a
   realistic mix over N/4 workers: registrations, verifications, departures, fees, returns;
   one worker's events far apart) are produced to ``registry.worker.v1`` (untimed). Then (a) a
   raw aiokafka consumer reads them all (``getmany``, no parsing), and (b) ``pantau serve
   cases`` starts on a fresh database and is timed until its replica consumer's stored
   positions reach the end offsets: from the start, and over the steady window (first applied
   batch to the end, start-up and the group join excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._infra import BenchInfra, bench_infra, machine_cpu, process_cpu_seconds
from bench.bench_registry import EventCounter, outbox_drained, start_offsets
from bench.bench_reporting import raw_consume
from pantau.local.procs import free_port, terminate
from pantau.simulate import COMPONENTS, DESTINATIONS, Population
from pantau.simulate_cases import CATEGORIES, GBV_OF
from shared.auth import issue_token
from shared.contract import new_event
from shared.contract.codes import Channel, FeeComponent, Legality, Occupation, Sex
from shared.contract.events import (
    EventData,
    FeeCharged,
    WorkerDeparted,
    WorkerRegistered,
    WorkerReturned,
    WorkerVerified,
)
from shared.contract.topics import Topic, all_topics
from shared.kafka import ensure_topics, make_producer
from shared.migrations import migrate
from shared.service.context import correlation_id_for
from shared.settings import ServiceSettings

RESULTS = Path(__file__).parent / "results"
REPLICA_CONSUMER = "cases-workers"
OFFICERS = 500


# -- the service -----------------------------------------------------------------------------------
@asynccontextmanager
async def cases_server(
    infra: BenchInfra, batch: int, name: str
) -> AsyncIterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """``pantau serve cases`` on a fresh database: (base url, dsn, process)."""
    dsn = await infra.fresh_database(f"bench_cases_{name}")
    await migrate(dsn, "services.cases")
    port = free_port()
    env = {
        **os.environ,
        "CASES_DATABASE_URL": dsn,
        "CASES_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "CASES_KAFKA_IDEMPOTENCE": str(infra.idempotence).lower(),
        "CASES_KAFKA_SESSION_TIMEOUT_MS": "2000" if not infra.idempotence else "6000",
        "CASES_PORT": str(port),
        "CASES_LOG_LEVEL": "WARNING",
        "CASES_MIGRATE_ON_START": "false",
        "CASES_REPLICA_BATCH_SIZE": str(batch),
        # The benchmark's client is one address: the public-report limit is not what is measured.
        "CASES_RATE_LIMITS_ENABLED": "false",
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
                if server.poll() is not None:
                    raise RuntimeError("the cases service exited (bench/results/cases-server.log)")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the cases service did not become ready (cases-server.log)")
        yield url, dsn, server
    finally:
        terminate(server)


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``pantau serve cases``, its log in bench/results/cases-server.log."""
    with open(RESULTS / "cases-server.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pantau.cli", "serve", "cases", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


# -- 1. intake through HTTP ------------------------------------------------------------------------
WRK_SCRIPT = """
-- Generated by bench/bench_cases.py: each thread posts the intakes of its own file, each line
-- "<token>\\t<json body>" (the officer of the body's village).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("slice", threads)
end
function init(args)
  tokens, bodies = {}, {}
  for line in io.lines(string.format("%(dir)s/slice-%%d.tsv", slice)) do
    local tab = line:find("\\t", 1, true)
    tokens[#tokens + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  sent = 0
  wrk.method = "POST"
  wrk.path = "/v1/cases"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Request-ID"] = "%(run)s"
end
function request()
  sent = sent + 1
  local i = (sent - 1) %% #bodies + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[i]
  return wrk.format(nil, nil, nil, bodies[i])
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


def intakes(count: int, seed: int = 5) -> list[tuple[str, dict[str, Any]]]:
    """(token, body) of realistic intakes by the officers of :data:`OFFICERS` villages."""
    rng = random.Random(seed)
    people = Population(rng)
    villages = [people.village() for _ in range(OFFICERS)]
    tokens = {v: issue_token("village-officer", v, ttl_seconds=6 * 3600) for v in villages}
    names, weights = zip(*CATEGORIES, strict=True)
    out = []
    for _ in range(count):
        village = rng.choice(villages)
        category = rng.choices(names, weights)[0]
        share, types = GBV_OF.get(category, (0.0, []))
        body = {
            "village": village,
            "sex": "female" if people.female(village) else "male",
            "category": category,
            "gbv_type": rng.choice(types) if rng.random() < share else None,
            "channel": rng.choice(["walk_in", "phone", "messaging", "organisation"]),
            "narrative": "Pekerja melaporkan masalah di negara penempatan; rincian menyusul.",
            "consent": {"referral": rng.random() < 0.7, "sharing": rng.random() < 0.4},
            "documents_complete": rng.random() < 0.5,
        }
        out.append((tokens[village], body))
    return out


def wrk_files(
    lines: list[tuple[str, dict[str, Any]]], threads: int, workdir: Path, run_id: str
) -> tuple[Path, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    size = -(-len(lines) // threads)
    for t in range(threads):
        with open(workdir / f"slice-{t + 1}.tsv", "w") as out:
            for token, body in lines[t * size : (t + 1) * size]:
                out.write(f"{token}\t{json.dumps(body)}\n")
    script = workdir / "intake.lua"
    script.write_text(WRK_SCRIPT % {"dir": workdir, "run": run_id})
    summary = workdir / "summary.json"
    summary.unlink(missing_ok=True)
    return script, summary


async def run_wrk(
    wrk: str, url: str, script: Path, *, seconds: float, threads: int, connections: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
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


async def http_intake(infra: BenchInfra, args: argparse.Namespace) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found (Debian: apt-get install wrk)")
    lines = intakes(int(args.seconds * 3_000) + 2_000)
    warm_up, measured = lines[:2_000], lines[2_000:]
    workdir = RESULTS / "wrk-cases"
    async with cases_server(infra, args.batch, "http") as (url, dsn, server):
        script, _ = wrk_files(warm_up, args.threads, workdir / "warm-up", "bench-warm-up")
        process = await run_wrk(
            wrk, url, script, seconds=2, threads=args.threads, connections=args.connections
        )
        await process.wait()
        await outbox_drained(dsn)
        await asyncio.sleep(0.5)
        offsets = await start_offsets(infra.bootstrap, Topic.CASE)
        run_id = f"bench-cases-{uuid.uuid4().hex}"
        marker = correlation_id_for(run_id.encode())
        script, summary_file = wrk_files(measured, args.threads, workdir / "run", run_id)
        async with EventCounter(
            infra.bootstrap, offsets, marker=marker, event_type="case-opened"
        ) as events:
            cpu_before, (busy_before, total_before) = process_cpu_seconds(server.pid), machine_cpu()
            started = time.perf_counter()
            process = await run_wrk(
                wrk,
                url,
                script,
                seconds=args.seconds,
                threads=args.threads,
                connections=args.connections,
            )
            wait = asyncio.create_task(process.wait())
            while not wait.done():
                await events.poll()
            if await wait != 0 or not summary_file.exists():
                raise RuntimeError("wrk failed")
            summary = json.loads(summary_file.read_text())
            accepted = summary["requests"] - summary["non_2xx"]
            await events.until(lambda: events.count >= accepted, within=120)
            await events.until(lambda: False, within=1.0)  # requests in flight when wrk stopped
            cpu = process_cpu_seconds(server.pid) - cpu_before
            busy, total = machine_cpu()
        elapsed = events.last_read - started
        return {
            "client": f"wrk ({args.threads} threads, {args.connections} connections, "
            f"{args.seconds:g} s)",
            "requests": summary["requests"],
            "accepted": accepted,
            "non_2xx": summary["non_2xx"],
            "socket_errors": sum(
                summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            ),
            "events_seen": events.count,
            "http_per_second": summary["requests"] / (summary["duration_us"] / 1e6),
            "per_second": events.count / elapsed,
            "latency_p50_ms": summary["p50_us"] / 1000,
            "latency_p99_ms": summary["p99_us"] / 1000,
            "server_cpu_ms_per_case": 1000 * cpu / max(events.count, 1),
            "machine_busy_cores": (busy - busy_before)
            / max(total - total_before, 1e-9)
            * (os.cpu_count() or 1),
        }


# -- 2. the replica beside raw consume -------------------------------------------------------------
def worker_events(total: int, seed: int = 9) -> list[tuple[str, bytes, list[tuple[str, bytes]]]]:
    """``total`` registry.worker.v1 records (key, value, headers) over ``total // 4`` workers,
    in phases (every registration, then verifications …) so a worker's events lie far apart."""
    rng = random.Random(seed)
    people = Population(rng)
    workers = [(str(uuid.uuid4()), people.village(), rng.random() < 0.6) for _ in range(total // 4)]
    sequence = dict.fromkeys((w for w, _, _ in workers), 0)
    out: list[tuple[str, bytes, list[tuple[str, bytes]]]] = []

    def add(worker: str, village: str, data: EventData) -> None:
        sequence[worker] += 1
        event = new_event(
            source="registry", subject=worker, sequence=sequence[worker], area=village, data=data
        )
        headers = [(k, v.encode()) for k, v in event.headers().items()]
        out.append((worker, event.to_json(), headers))

    day = date(2025, 1, 6)
    phases: list[Any] = [
        lambda f: WorkerRegistered(
            sex=Sex.FEMALE if f else Sex.MALE,
            birth_year=rng.randint(1975, 2004),
            procedural=rng.random() > 0.15,
            occupation=Occupation.HOUSEKEEPER if f else Occupation.FARM_WORKER,
            registered_on=day,
        ),
        lambda f: WorkerVerified(verified_on=day + timedelta(days=20)),
        lambda f: FeeCharged(
            fee_id=uuid.uuid4(),
            component=FeeComponent(rng.choice(COMPONENTS)[0]),
            amount=Decimal(rng.randrange(5, 300) * 100_000),
            currency="IDR",
            charged_on=day + timedelta(days=30),
            agency_id=None,
            occupation=None,
            legality=Legality.ILLEGAL,
        ),
        lambda f: WorkerDeparted(
            occupation=Occupation.HOUSEKEEPER if f else Occupation.FARM_WORKER,
            destination_country=rng.choice(DESTINATIONS)[0],
            channel=Channel.P3MI,
            agency_id=uuid.uuid4(),
            departed_on=day + timedelta(days=60),
        ),
        lambda f: WorkerReturned(returned_on=day + timedelta(days=790)),
    ]
    for phase in phases:
        for worker, village, female in workers:
            if len(out) < total:
                add(worker, village, phase(female))
    return out


async def produce(infra: BenchInfra, records: list[Any]) -> dict[tuple[str, int], int]:
    """Send the records to registry.worker.v1; the end offsets from the producer's acks."""
    producer = make_producer(
        ServiceSettings(
            kafka_bootstrap_servers=infra.bootstrap, kafka_idempotence=infra.idempotence
        ),
        linger_ms=20,
        request_timeout_ms=60_000,
    )
    await producer.start()
    ends: dict[tuple[str, int], int] = {}
    try:
        for start in range(0, len(records), 10_000):
            futures = [
                await producer.send(Topic.WORKER, value, key=key.encode(), headers=headers)
                for key, value, headers in records[start : start + 10_000]
            ]
            for meta in await asyncio.gather(*futures):
                key = (meta.topic, meta.partition)
                ends[key] = max(ends.get(key, 0), meta.offset + 1)
    finally:
        await producer.stop()
    return ends


async def replica_catch_up(
    infra: BenchInfra, ends: dict[tuple[str, int], int], batch: int
) -> dict[str, Any]:
    total = sum(ends.values())
    started = time.perf_counter()
    async with cases_server(infra, batch, "replica") as (_, dsn, server):
        conn = await asyncpg.connect(dsn)
        try:
            first: float | None = None
            first_done = 0
            cpu_start = 0.0
            while True:
                if server.poll() is not None:
                    raise RuntimeError("the cases service exited (cases-server.log)")
                rows = await conn.fetch(
                    "SELECT topic, partition, next_offset FROM consumer_positions"
                    " WHERE consumer = $1",
                    REPLICA_CONSUMER,
                )
                done = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
                applied = sum(done.values())
                if first is None and applied:
                    first, first_done = time.perf_counter(), applied
                    cpu_start = process_cpu_seconds(server.pid)
                if all(done.get(k, 0) >= end for k, end in ends.items() if end > 0):
                    break
                await asyncio.sleep(0.05)
            finished = time.perf_counter()
            cpu = process_cpu_seconds(server.pid) - cpu_start
            workers = await conn.fetchval("SELECT count(*) FROM workers")
        finally:
            await conn.close()
    assert first is not None
    steady = finished - first
    return {
        "events": total,
        "workers": workers,
        "seconds_from_start": finished - started,
        "per_second_from_start": total / (finished - started),
        "per_second_steady": (total - first_done) / steady if steady > 0 else float("nan"),
        "service_cpu_us_per_event": 1e6 * cpu / max(1, total - first_done),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    with bench_infra() as infra:
        await ensure_topics(infra.bootstrap, all_topics())
        result: dict[str, Any] = {
            "machine": f"{os.cpu_count()} cores",
            "broker": infra.broker_kind,
            "postgres": infra.postgres_kind,
        }
        if not args.replica_only:
            print("[intake] wrk against pantau serve cases …", flush=True)
            result["http"] = await http_intake(infra, args)
        if not args.http_only:
            print(f"[replica] producing {args.events:,} worker events (untimed) …", flush=True)
            ends = await produce(infra, worker_events(args.events))
            raw = await raw_consume(infra.bootstrap, ends, args.batch)
            print("[replica] pantau serve cases catching up …", flush=True)
            replica = await replica_catch_up(infra, ends, args.batch)
            replica["raw_consume_per_second"] = sum(ends.values()) / raw
            replica["batch"] = args.batch
            result["replica"] = replica
    (RESULTS / "cases.json").write_text(json.dumps(result, indent=2))
    return result


def report(result: dict[str, Any]) -> str:
    lines = ["| measure | result | target |", "|---|---|---|"]
    if "http" in result:
        http = result["http"]
        lines.append(
            f"| case intake through HTTP, `case-opened` on the topic ({http['client']}; "
            f"{http['events_seen']:,} cases, {http['non_2xx']:,} non-2xx, "
            f"{http['socket_errors']:,} socket errors) | **{http['per_second']:,.0f}/s** end to "
            f"end (HTTP {http['http_per_second']:,.0f}/s; p50 {http['latency_p50_ms']:.1f} ms, "
            f"p99 {http['latency_p99_ms']:.1f} ms) | ≥ 1,000/s |"
        )
        lines.append(
            f"| cases CPU per intake (relay included; machine busy "
            f"{http['machine_busy_cores']:.2f} of {os.cpu_count()} cores) | "
            f"{http['server_cpu_ms_per_case']:.3f} ms | — |"
        )
    if "replica" in result:
        r = result["replica"]
        lines += [
            f"| raw aiokafka consume, {r['events']:,} worker events (getmany, batch "
            f"{r['batch']:,}) | {r['raw_consume_per_second']:,.0f} events/s | — |",
            f"| worker replica catching up, `pantau serve cases`, same records ({r['workers']:,} "
            f"workers; CPU {r['service_cpu_us_per_event']:.0f} µs per event) | "
            f"**{r['per_second_steady']:,.0f} events/s** steady "
            f"({r['per_second_from_start']:,.0f}/s from the process start) | ≥ 20,000/s |",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="worker events (part 2)")
    parser.add_argument("--batch", type=int, default=20_000, help="replica consumer batch")
    parser.add_argument("--seconds", type=int, default=20, help="wrk: how long to post")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections")
    parser.add_argument("--http-only", action="store_true", help="part 1 alone")
    parser.add_argument("--replica-only", action="store_true", help="part 2 alone")
    outcome = asyncio.run(main(parser.parse_args()))
    print(json.dumps(outcome, indent=2))
    print(report(outcome))
