"""Alert rules micro-benchmark: rule evaluation throughput over a replayed synthetic stream.

Run: ``.venv/bin/python -m bench.bench_alert_rules`` (options: ``--help``). Prints a Markdown
table and writes ``bench/results/alert_rules.json``.

The stream is a year of a plausible log over real villages of three provinces: workers
registered, verified, departed (most through an agency, some never verified), charged fees
(legal and illegal), returned; agencies licensed, a few suspended or revoked; cases opened (some
GBV, some for unregistered workers, some reports confirmed or rejected at triage), assigned,
acted on with deadline clocks, escalated, closed, reopened. It is built (and validated as
envelopes) before timing starts. The engine then consumes it in batches of ``--batch`` events,
as the consumer will, on a clock that follows the stream's time (so every time-driven rule fires
as it would have), and the timer covers :meth:`RulesEngine.handle_batch` and
``state.take_changes()`` only: no broker, no database, no envelope parsing. Events per second
are given by wall time (the target's measure) and by the process's CPU time (steadier on a
machine shared with other work; the load average is printed beside them). Target (issue 19): at
least 20,000 events/s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from services.alerts.clock import ManualClock
from services.alerts.engine import RulesEngine
from shared.areas import areas
from shared.contract.codes import (
    ZERO_COST_OCCUPATIONS,
    CaseCategory,
    FeeComponent,
    GbvType,
    Occupation,
)
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import TOPIC_OF_TYPE

RESULTS = Path(__file__).parent / "results"
START = datetime(2025, 1, 1, tzinfo=UTC)
PROVINCES = ("53", "52", "33")  # NTT, NTB, Central Java
CLOCKS = ("documents_incomplete", "clarification_unanswered", "complainant_unreachable")

Timed = tuple[datetime, str, str, str, dict[str, Any]]  # time, type, subject, area, data


def _villages(rng: random.Random, count: int) -> list[str]:
    index = areas()
    pool = [v for v in index.villages() if v.split(".")[0] in PROVINCES]
    regencies = sorted({".".join(v.split(".")[:2]) for v in pool})
    chosen = set(rng.sample(regencies, min(12, len(regencies))))
    pool = [v for v in pool if ".".join(v.split(".")[:2]) in chosen]
    return rng.sample(pool, min(count, len(pool)))


def synthetic_stream(workers: int = 50_000, seed: int = 19, days: int = 365) -> list[Envelope]:
    """A plausible year of ``registry.worker.v1``, ``registry.agency.v1`` and ``cases.case.v1``
    in log order (per subject: consecutive sequences)."""
    rng = random.Random(seed)
    villages = _villages(rng, max(50, workers // 150))
    span = timedelta(days=days)
    out: list[Timed] = []

    def at(base: datetime, lo_hours: float, hi_hours: float) -> datetime:
        return base + timedelta(hours=rng.uniform(lo_hours, hi_hours))

    agencies = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(20, workers // 150))]
    for agency_id in agencies:
        seat = rng.choice(PROVINCES)
        licence = {"name": "PT", "licence_no": agency_id}
        out.append((START, "agency-licensed", agency_id, seat, licence))
        if rng.random() < 0.06:
            kind = "agency-suspended" if rng.random() < 0.8 else "agency-revoked"
            out.append((at(START, 24, days * 24), kind, agency_id, seat, {"reason": None}))

    occupations = list(Occupation)
    components = list(FeeComponent)
    for _ in range(workers):
        wid = str(uuid.UUID(int=rng.getrandbits(128)))
        village = rng.choice(villages)
        occupation = rng.choice(occupations)
        t = at(START, 0, days * 24 * 0.8)
        procedural = rng.random() < 0.9
        out.append(
            (
                t,
                "worker-registered",
                wid,
                village,
                {
                    "sex": "female" if rng.random() < 0.7 else "male",
                    "birth_year": rng.randint(1970, 2005),
                    "procedural": procedural,
                    "occupation": occupation.value,
                    "registered_on": t.date().isoformat(),
                },
            )
        )
        verified = procedural and rng.random() < 0.9
        if verified:
            t = at(t, 24, 20 * 24)
            out.append((t, "worker-verified", wid, village, {"verified_on": t.date().isoformat()}))
        agency: str | None = rng.choice(agencies) if rng.random() < 0.7 else None
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            t = at(t, 1, 10 * 24)
            component = rng.choice(components)
            out.append(
                (
                    t,
                    "fee-charged",
                    wid,
                    village,
                    {
                        "fee_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "component": component.value,
                        "amount": rng.randint(1, 50) * 100_000,
                        "currency": "IDR",
                        "charged_on": t.date().isoformat(),
                        "agency_id": agency,
                        "occupation": occupation.value,
                        "legality": "illegal"
                        if component is not FeeComponent.OTHER
                        and occupation in ZERO_COST_OCCUPATIONS
                        else "warning",
                    },
                )
            )
        if (verified or not procedural) and rng.random() < 0.75:
            t = at(t, 24, 60 * 24)
            contract_end = t.date() + timedelta(days=rng.choice((120, 180, 365, 730)))
            out.append(
                (
                    t,
                    "worker-departed",
                    wid,
                    village,
                    {
                        "occupation": occupation.value,
                        "destination_country": rng.choice(("MY", "HK", "TW", "SA", "SG")),
                        "channel": "p3mi" if agency else "individual",
                        "agency_id": agency,
                        "departed_on": t.date().isoformat(),
                        "contract_end": contract_end.isoformat(),
                    },
                )
            )
            if rng.random() < 0.6:
                back = datetime(*contract_end.timetuple()[:3], tzinfo=UTC)
                t = at(back, -10 * 24, 50 * 24)
                out.append(
                    (t, "worker-returned", wid, village, {"returned_on": t.date().isoformat()})
                )
        if rng.random() < 0.15:
            out += _case(rng, village, wid if procedural else None, agency, at(t, 0, 90 * 24))

    out = [e for e in out if e[0] < START + span]
    out.sort(key=lambda e: e[0])
    seq: Counter[str] = Counter()
    envelopes = []
    for t, kind, subject, area, data in out:
        seq[subject] += 1
        topic = str(TOPIC_OF_TYPE[kind])
        envelopes.append(
            new_event(
                type=kind,
                source="cases" if topic == "cases.case.v1" else "registry",
                subject=subject,
                sequence=seq[subject],
                area=area,
                data=data,
                time=t,
            )
        )
    return envelopes


def _case(
    rng: random.Random, village: str, worker: str | None, agency: str | None, t: datetime
) -> list[Timed]:
    cid = str(uuid.UUID(int=rng.getrandbits(128)))
    category = rng.choice(list(CaseCategory))
    gbv = rng.choice(list(GbvType)).value if rng.random() < 0.12 else None
    level = "province" if category is CaseCategory.TRAFFICKING or gbv else "village"
    named = agency if rng.random() < 0.5 else None
    report = rng.random() < 0.08  # a worker's or family's report: no worker id, no agency yet
    facts = {
        "category": category.value,
        "gbv_type": gbv,
        "level": level,
        "procedural": worker is not None,
        "sex": "female",
        "worker_id": worker,
        "agency_id": named,
    }
    opened = {
        **facts,
        **(_no_deadline() if report else _deadline(t.date() + timedelta(days=30), CLOCKS[0])),
        "channel": "public_report" if report else rng.choice(("walk_in", "phone", "outreach")),
        "verified": not report,
        "status": "new",
    }
    if report:
        opened.update(worker_id=None, agency_id=None, procedural=False)
    out: list[Timed] = [(t, "case-opened", cid, village, opened)]
    if report:
        if rng.random() < 0.2:
            t += timedelta(days=rng.uniform(1, 5))
            rejected = {"reason": "report_rejected", "merged_into": None, **_no_deadline()}
            return [*out, (t, "case-closed", cid, village, rejected)]
        t += timedelta(hours=rng.uniform(2, 72))
        due = _deadline(t.date() + timedelta(days=30), CLOCKS[0])
        out.append((t, "case-verified", cid, village, {**facts, **due}))
    if rng.random() < 0.85:
        t += timedelta(hours=rng.uniform(1, 96))
        assigned = {"assignee_id": cid, "requested_sex_honoured": None}
        out.append((t, "case-assigned", cid, village, assigned))
    for _ in range(rng.choice((0, 1, 1, 2))):
        t += timedelta(days=rng.uniform(1, 35))
        deadline = (
            _deadline(t.date() + timedelta(days=rng.choice((15, 30, 60))), rng.choice(CLOCKS))
            if rng.random() < 0.8
            else _no_deadline()
        )
        action = {
            "action": "mediation",
            "taken_on": t.date().isoformat(),
            "status": "service_provision",
            **deadline,
        }
        out.append((t, "case-action-taken", cid, village, action))
    if rng.random() < 0.1:
        t += timedelta(days=rng.uniform(1, 20))
        escalation = {"from_level": level, "to_level": _ABOVE[level], "reason": "no_progress"}
        out.append((t, "case-escalated", cid, village, escalation))
    if rng.random() < 0.55:
        t += timedelta(days=rng.uniform(1, 60))
        closed = {"reason": "resolved", "merged_into": None, **_no_deadline()}
        out.append((t, "case-closed", cid, village, closed))
        if rng.random() < 0.05:
            t += timedelta(days=rng.uniform(1, 60))
            due = _deadline(t.date() + timedelta(days=30), CLOCKS[0])
            out.append((t, "case-reopened", cid, village, {"reason": "new_information", **due}))
    return out


_ABOVE = {"village": "regency", "regency": "province", "province": "national"}


def _deadline(due_on: date, clock: str) -> dict[str, Any]:
    return {"due_on": due_on.isoformat(), "due_clock": clock}


def _no_deadline() -> dict[str, Any]:
    return {"due_on": None, "due_clock": None}


def replay(stream: list[Envelope], batch: int) -> tuple[float, float, Counter[str], RulesEngine]:
    """Wall and CPU seconds spent in the engine over the whole stream, and the alert events by
    type and rule."""
    clock = ManualClock(stream[0].time)
    engine = RulesEngine(clock=clock)
    counts: Counter[str] = Counter()
    wall = cpu = 0.0
    for i in range(0, len(stream), batch):
        part = stream[i : i + batch]
        clock.set(max(clock.now(), part[-1].time))
        started, started_cpu = time.perf_counter(), time.process_time()
        events = engine.handle_batch(part)
        engine.state.take_changes()
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        counts.update(f"{e.type} {e.alert.rule.value}" for e in events)
    return wall, cpu, counts, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=50_000, help="workers in the stream")
    parser.add_argument("--batch", type=int, default=2_000, help="events per batch")
    parser.add_argument("--runs", type=int, default=3, help="replays (fresh engine each)")
    args = parser.parse_args()

    built = time.perf_counter()
    stream = synthetic_stream(args.workers)
    built = time.perf_counter() - built
    rates, cpu_rates = [], []
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        wall, cpu, counts, engine = replay(stream, args.batch)
        rates.append(len(stream) / wall)
        cpu_rates.append(len(stream) / cpu)
    mix = Counter(e.type for e in stream)
    result = {
        "events": len(stream),
        "batch": args.batch,
        "events_per_second_median": round(statistics.median(rates)),
        "events_per_second_best": round(max(rates)),
        "events_per_cpu_second_median": round(statistics.median(cpu_rates)),
        "runs": [round(r) for r in rates],
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "stream_seconds_to_build": round(built, 1),
        "event_mix": dict(mix.most_common()),
        "alert_events": dict(sorted(counts.items())),
        "live_alerts_at_end": len(engine.state.alerts),
        "due_checks_at_end": len(engine.state.agenda),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "alert_rules.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"| events | batch | events/s (median of {args.runs}) | best | per CPU second "
        "| load avg before/after | target |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(stream):,} | {args.batch:,} | {result['events_per_second_median']:,} "
        f"| {result['events_per_second_best']:,} | {result['events_per_cpu_second_median']:,} "
        f"| {load_before:.1f} / {result['load_average_after']:.1f} | 20,000 |"
    )
    print()
    print("alert events:", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
