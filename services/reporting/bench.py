"""Projection benchmark: events per second through the batch handler into PostgreSQL.

``python -m services.reporting.bench --dsn postgresql://postgres@127.0.0.1:5432/postgres``
creates a scratch database, generates a realistic log over the real villages (registrations,
verifications, departures, returns, fees, cases, alerts), and applies it in consumer-sized
batches exactly as the idempotent consumer does (inbox claim + handler, one transaction each).
Generation is not timed. Prints events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.reporting.projections.handler import ProjectionHandler
from shared.areas import areas
from shared.contract.envelope import Envelope
from shared.contract.events import (
    AlertRaised,
    CaseOpened,
    EventData,
    FeeCharged,
    WorkerDeparted,
    WorkerRegistered,
    WorkerReturned,
    WorkerVerified,
)
from shared.migrations import migrate

CLAIM = (
    "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


@dataclass(frozen=True)
class Ev:
    envelope: Envelope
    data: EventData
    topic: str
    partition: int = 0
    offset: int = 0


def _env(type_: str, subject: str, seq: int, area: str, when: datetime) -> Envelope:
    # model_construct: the generator's output is valid by construction; validation is not timed
    # anyway, but it makes generating a million events bearable.
    return Envelope.model_construct(
        id=uuid.uuid4(), type=type_, version=1, source="registry", subject=subject,
        sequence=seq, time=when, area=area, correlation_id=None, causation_id=None, data={},
    )  # fmt: skip


def generate(count: int, seed: int = 1) -> list[Ev]:
    rng = random.Random(seed)
    villages = areas().villages()
    # NTT-heavy, as the domain says, but every province gets some.
    weights = [8.0 if v.startswith(("53", "52", "35", "33", "32")) else 1.0 for v in villages]
    out: list[Ev] = []
    workers: list[list[Any]] = []
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    occupations = ["housekeeper", "cook", "fishing_crew", "factory_worker", "caregiver"]
    countries = ["MY", "TW", "HK", "SA", "SG", "KR", "JP"]
    while len(out) < count:
        when = t0 + timedelta(seconds=len(out) * 30)
        roll = rng.random()
        if roll < 0.35 or len(workers) < 100:
            wid = str(uuid.uuid4())
            village = rng.choices(villages, weights)[0]
            sex = "female" if rng.random() < 0.6 else "male"
            workers.append([wid, village, 1, 0, sex])
            data: EventData = WorkerRegistered.model_construct(
                sex=sex, birth_year=1990, procedural=rng.random() < 0.85,
                occupation=None, registered_on=date(2025, 1, 1),
            )  # fmt: skip
            out.append(Ev(_env("worker-registered", wid, 1, village, when), data, "w"))
            continue
        w = workers[rng.randrange(len(workers))]
        wid, village, seq, status, _ = w
        if roll < 0.75 and status < 3:
            typ = ["worker-verified", "worker-departed", "worker-returned"][status]
            if status == 0:
                data = WorkerVerified.model_construct(verified_on=date(2025, 2, 1))
            elif status == 1:
                data = WorkerDeparted.model_construct(
                    occupation=rng.choice(occupations), destination_country=rng.choice(countries),
                    channel="p3mi", agency_id=None, departed_on=date(2025, 3, 1),
                )  # fmt: skip
            else:
                data = WorkerReturned.model_construct(returned_on=date(2025, 9, 1))
            w[3] = status + 1
        elif roll < 0.88:
            typ = "fee-charged"
            data = FeeCharged.model_construct(
                fee_id=uuid.uuid4(), component=rng.choice(["passport", "work_visa", "other"]),
                amount=Decimal(rng.randrange(1, 80) * 100_000), currency="IDR",
                charged_on=date(2025, 2, 2), agency_id=None, occupation="housekeeper",
                legality=rng.choice(["illegal", "warning"]),
            )  # fmt: skip
        elif roll < 0.96:
            cid = str(uuid.uuid4())
            data = CaseOpened.model_construct(
                category=rng.choice(["unpaid_wages", "trafficking", "sick", "repatriation"]),
                gbv_type=rng.choice([None, None, "physical_assault"]), level="village",
                procedural=True, sex=w[4], worker_id=None, status="new",
                due_on=date(2025, 1, 1) + timedelta(days=rng.randrange(400)),
            )  # fmt: skip
            out.append(Ev(_env("case-opened", cid, 1, village, when), data, "c"))
            continue
        else:
            aid = str(uuid.uuid4())
            data = AlertRaised.model_construct(
                rule=rng.choice(["illegal-fee", "case-deadline"]),
                severity=rng.choice(["info", "warning", "critical"]), level="village", about=wid,
            )  # fmt: skip
            out.append(Ev(_env("alert-raised", aid, 1, village, when), data, "a"))
            continue
        w[2] = seq + 1
        out.append(Ev(_env(typ, wid, seq + 1, village, when), data, "w"))
    return out


async def run(dsn: str, count: int, batch: int) -> float:
    admin = await asyncpg.connect(dsn)
    name = f"bench_reporting_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    target = dsn.rsplit("/", 1)[0] + "/" + name
    try:
        await migrate(target, "services.reporting")
        events = generate(count)
        handler = ProjectionHandler(target)
        conn = await asyncpg.connect(target)
        started = time.perf_counter()
        for i in range(0, len(events), batch):
            chunk = events[i : i + batch]
            async with conn.transaction():
                fresh = {
                    r[0] for r in await conn.fetch(CLAIM, "bench", [e.envelope.id for e in chunk])
                }
                await handler(conn, [e for e in chunk if e.envelope.id in fresh])
            done = i + len(chunk)
            if done % (batch * 25) == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>9} events  {rate:>9.0f} events/s", flush=True)
        elapsed = time.perf_counter() - started
        await conn.close()
        return len(events) / elapsed
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    rate = asyncio.run(run(args.dsn, args.events, args.batch))
    print(f"projected {args.events} events: {rate:,.0f} events/s (batch {args.batch})")


if __name__ == "__main__":
    main()
