"""Data for the reporting benchmark: a realistic event stream, and national-scale figure deltas.

:func:`event_stream` yields contract envelopes (built with ``shared.contract.new_event`` and the
event models) for workers, their fees, cases, alerts and a few agencies, in real villages drawn
as :class:`pantau.simulate.Population` draws them. Events of one subject are in sequence order
and far apart (by default 50,000 records or more, more than a consumer batch), as on a busy
national log where a worker's next event comes days later; event times follow the log.

:func:`national_state` draws the *state* of N workers (status, sex, procedural, occupation,
destination) plus proportional fees, open cases, open alerts and agencies (in PostgreSQL), and
aggregates it per village into the projection's own leaf keys ``(area, metric, dims)`` (built
with ``services.reporting.projections.model.dims`` and ``leaf_area``), in village order. The
caller feeds them through the projection's ``apply_leaves``.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from pantau.simulate import (
    COMPONENTS,
    DESTINATIONS,
    OCCUPATIONS_FEMALE,
    OCCUPATIONS_MALE,
    Population,
)
from services.reporting.projections.model import dims, leaf_area
from shared.areas import areas
from shared.contract import new_event
from shared.contract.codes import (
    CaseAction,
    CaseCategory,
    CaseStatus,
    ClosureReason,
    DueClock,
    EscalationReason,
    GbvType,
    IntakeChannel,
    Legality,
    Level,
    Occupation,
    Severity,
    Sex,
)
from shared.contract.envelope import Envelope
from shared.contract.events import (
    AgencyLicensed,
    AlertRaised,
    AlertResolved,
    CaseActionTaken,
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    FeeCharged,
    WorkerDeparted,
    WorkerRegistered,
    WorkerReturned,
    WorkerVerified,
)
from shared.contract.topics import Topic

# One wire record: topic, key, value, headers.
Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]
Timed = tuple[datetime, Record]  # a record and its event time

ALERT_RULES = ("illegal-fee", "case-overdue", "agency-suspended", "repeat-case", "fee-spike")
_START = datetime(2024, 1, 1, tzinfo=UTC)
# The time one record of a benchmark stream stands for: 25,000 records are about a month.
_PER_RECORD = timedelta(seconds=100)


def _record(topic: str, env: Envelope) -> Record:
    return (
        topic,
        env.subject.encode(),
        env.to_json(),
        [(k, v.encode()) for k, v in env.headers().items()],
    )


@dataclass
class _Clock:
    """Event times that follow the log: a life starts at the stream's current time (``now``,
    moved forward by :func:`event_stream` as it emits records), its next events come 1 to 60
    days later, and the stream emits each when it reaches that time (see ``_PER_RECORD``)."""

    rng: random.Random
    now: datetime = _START

    def first(self) -> datetime:
        return self.now + timedelta(seconds=self.rng.randrange(86400))

    def after(self, t: datetime) -> datetime:
        return t + timedelta(days=self.rng.randrange(1, 60), seconds=self.rng.randrange(86400))


def _worker(pop: Population, clock: _Clock, agencies: list[str]) -> list[Timed]:
    rng = pop.rng
    reg = pop.registration()
    sid = str(uuid.UUID(int=rng.getrandbits(128)))
    village = reg["village"]
    seq = 1
    t = clock.first()
    out: list[Timed] = []

    def emit(kind: str, data: Any) -> None:
        nonlocal seq, t
        env = new_event(
            type=kind,
            source="registry",
            subject=sid,
            sequence=seq,
            area=village,
            data=data,
            time=t,
        )
        out.append((t, _record(Topic.WORKER, env)))
        seq += 1
        t = clock.after(t)

    emit(
        "worker-registered",
        WorkerRegistered(
            sex=Sex(reg["sex"]),
            birth_year=int(reg["birth_date"][:4]),
            procedural=rng.random() < 0.85,
            occupation=Occupation(reg["occupation"]),
            registered_on=t.date(),
        ),
    )
    if rng.random() >= 0.8:
        return out
    emit("worker-verified", WorkerVerified(verified_on=t.date()))
    if rng.random() >= 0.6:
        return out
    agency = rng.choice(agencies)
    for _ in range(rng.choice((0, 1, 2, 2, 3))):
        fee = pop.fee(agency)
        emit(
            "fee-charged",
            FeeCharged(
                fee_id=uuid.UUID(int=rng.getrandbits(128)),
                component=fee["component"],
                amount=fee["amount"],
                currency=fee["currency"],
                charged_on=t.date(),
                agency_id=uuid.UUID(agency),
                occupation=reg["occupation"],
                legality=Legality.ILLEGAL if rng.random() < 0.3 else Legality.WARNING,
            ),
        )
    dep = pop.departure(reg["occupation"], agency)
    emit(
        "worker-departed",
        WorkerDeparted(
            occupation=dep["occupation"],
            destination_country=dep["destination_country"],
            channel=dep["channel"],
            agency_id=uuid.UUID(agency) if dep["agency_id"] else None,
            departed_on=t.date(),
        ),
    )
    if rng.random() < 0.3:
        emit("worker-returned", WorkerReturned(returned_on=t.date()))
    return out


def _case(pop: Population, clock: _Clock) -> list[Timed]:
    rng = pop.rng
    sid = str(uuid.UUID(int=rng.getrandbits(128)))
    village = pop.village()
    sex = Sex.FEMALE if rng.random() < 0.65 else Sex.MALE
    t = clock.first()
    level = rng.choice([Level.VILLAGE, Level.VILLAGE, Level.REGENCY, Level.PROVINCE])
    gbv = rng.choice(list(GbvType)) if sex == Sex.FEMALE and rng.random() < 0.15 else None
    events: list[tuple[str, Any]] = [
        (
            "case-opened",
            CaseOpened(
                category=rng.choice(list(CaseCategory)),
                gbv_type=gbv,
                level=level,
                procedural=rng.random() < 0.6,
                sex=sex,
                registered_worker=False,
                agency_id=None,
                channel=IntakeChannel.WALK_IN,
                verified=True,
                due_on=(t + timedelta(days=14)).date(),
                due_clock=DueClock.DOCUMENTS_INCOMPLETE,
            ),
        )
    ]
    if rng.random() < 0.3:
        events.append(
            (
                "case-escalated",
                CaseEscalated(
                    from_level=level,
                    to_level=Level.NATIONAL,
                    reason=EscalationReason.BEYOND_LEVEL_AUTHORITY,
                ),
            )
        )
    if rng.random() < 0.5:
        events.append(
            (
                "case-action-taken",
                CaseActionTaken(
                    action=rng.choice(list(CaseAction)[:10]),  # the services
                    taken_on=t.date(),
                    status=CaseStatus.SERVICE_PROVISION,
                    due_on=(t + timedelta(days=45)).date(),
                    due_clock=DueClock.CLARIFICATION_UNANSWERED,
                ),
            )
        )
    if rng.random() < 0.4:
        closed = CaseClosed(
            reason=ClosureReason.RESOLVED, merged_into=None, due_on=None, due_clock=None
        )
        events.append(("case-closed", closed))
    out: list[Timed] = []
    for seq, (kind, data) in enumerate(events, start=1):
        env = new_event(
            type=kind, source="cases", subject=sid, sequence=seq, area=village, data=data, time=t
        )
        out.append((t, _record(Topic.CASE, env)))
        t = clock.after(t)
    return out


def _alert(pop: Population, clock: _Clock) -> list[Timed]:
    rng = pop.rng
    sid = str(uuid.UUID(int=rng.getrandbits(128)))
    village = pop.village()
    area = village if rng.random() < 0.5 else ".".join(village.split(".")[:2])
    t = clock.first()
    raised = AlertRaised(
        rule=rng.choice(ALERT_RULES),
        severity=rng.choice(list(Severity)),
        level=Level.REGENCY,
        about=str(uuid.UUID(int=rng.getrandbits(128))),
    )
    events: list[tuple[str, Any]] = [("alert-raised", raised)]
    if rng.random() < 0.5:
        events.append(("alert-resolved", AlertResolved()))
    out: list[Timed] = []
    for seq, (kind, data) in enumerate(events, start=1):
        env = new_event(
            type=kind, source="alerts", subject=sid, sequence=seq, area=area, data=data, time=t
        )
        out.append((t, _record(Topic.ALERT, env)))
        t = clock.after(t)
    return out


def event_stream(
    total: int, seed: int = 1, spacing: int = 50_000, chunk: int = 5_000
) -> Iterator[list[Record]]:
    """Exactly ``total`` records, in chunks: ~82% on the worker topic, the rest cases, alerts
    and agencies (all licensed first). A subject's consecutive events are at least ``spacing``
    records apart, as on a national log where a worker's next event comes days later: a consumer
    batch then rarely holds two events of one subject and cannot net a whole life into one row.
    Lives cut off by the end of the stream simply stop early."""
    rng = random.Random(seed)
    pop = Population(rng)
    clock = _Clock(rng)
    agencies = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
    first: list[Record] = []
    provinces = list(areas().children("ID"))
    for i, agency in enumerate(agencies):
        env = new_event(
            type="agency-licensed",
            source="registry",
            subject=agency,
            sequence=1,
            area=provinces[i % len(provinces)],
            data=AgencyLicensed(name=f"PT Bench {i}", licence_no=f"L-{i:05d}"),
            time=_START,
        )
        first.append(_record(Topic.AGENCY, env))
    first = first[: max(0, total)]
    yield first
    # Emit, at each position, the next due event of a life under way, else the first event of
    # a new life; a life's next event is due when the stream reaches its time, and never less
    # than ``spacing`` positions later.
    due: list[tuple[int, int, list[Timed]]] = []  # (position, tie-break, rest of the life)
    out: list[Record] = []
    lives = 0
    for position in range(len(first), total):
        clock.now = _START + _PER_RECORD * position
        if due and due[0][0] <= position:
            _, _, life = heapq.heappop(due)
        else:
            r = rng.random()
            if r < 0.06:
                life = _case(pop, clock)
            elif r < 0.09:
                life = _alert(pop, clock)
            else:
                life = _worker(pop, clock, agencies)
        out.append(life[0][1])
        if len(life) > 1:
            lives += 1
            when = (life[1][0] - _START) // _PER_RECORD
            heapq.heappush(due, (max(when, position + spacing), lives, life[1:]))
        if len(out) == chunk:
            yield out
            out = []
    if out:
        yield out


# -- national state, aggregated per village in SQL -------------------------------------------------

_STATUSES = ("registered", "verified", "departed", "returned")
_SEXES = ("female", "male")
_PROCS = ("procedural", "non_procedural")
_OCCS = [o.value for o in Occupation]
_DESTS: list[str | None] = [None, *(d for d, _ in DESTINATIONS)]
_COMPONENTS = [c for c, _ in COMPONENTS]
_LEGALITIES = (Legality.ILLEGAL.value, Legality.WARNING.value)

LeafDeltas = dict[tuple[str, str, str], list[Any]]

_WORKERS_SQL = """
CREATE TEMP TABLE bench_workers AS
SELECT idx, st, sx, pr, oc, CASE WHEN st >= 2 THEN de ELSE 0 END AS de, count(*)::int AS n
FROM (
  SELECT idx, sx,
    CASE WHEN rs < 0.20 THEN 0 WHEN rs < 0.35 THEN 1 WHEN rs < 0.80 THEN 2 ELSE 3 END AS st,
    CASE WHEN rp < 0.85 THEN 0 ELSE 1 END AS pr,
    CASE WHEN sx = 0 THEN ($4::int[])[1 + floor(ro * 100)::int]
         ELSE ($5::int[])[1 + floor(ro * 100)::int] END AS oc,
    ($6::int[])[1 + floor(rd * 100)::int] AS de
  FROM (
    SELECT idx,
      CASE WHEN random() < CASE WHEN idx < $2 THEN 0.70 ELSE 0.60 END THEN 0 ELSE 1 END AS sx,
      random() AS rs, random() AS rp, random() AS ro, random() AS rd
    FROM (
      SELECT CASE WHEN random() < 0.35 THEN floor(random() * $2)::int
                  ELSE floor(random() * $3)::int END AS idx
      FROM generate_series(1, $1)
    ) a
  ) b
) c
GROUP BY 1, 2, 3, 4, 5, 6
"""

_FEES_SQL = """
CREATE TEMP TABLE bench_fees AS
SELECT idx, lg, cp, count(*)::int AS n, sum(units)::bigint * 100000 AS amount
FROM (
  SELECT idx, CASE WHEN random() < 0.3 THEN 0 ELSE 1 END AS lg,
    ($4::int[])[1 + floor(random() * 100)::int] AS cp, 5 + floor(random() * 295)::int AS units
  FROM (
    SELECT CASE WHEN random() < 0.35 THEN floor(random() * $2)::int
                ELSE floor(random() * $3)::int END AS idx
    FROM generate_series(1, $1)
  ) a
) b
GROUP BY 1, 2, 3
"""


def _weighted(names: list[str], weighted: list[tuple[str, int]]) -> list[int]:
    """100 indices into ``names`` drawn in proportion to the weights (a lookup table)."""
    total = sum(w for _, w in weighted)
    out: list[int] = []
    for name, weight in weighted:
        out += [names.index(name)] * round(100 * weight / total)
    return (out + [out[-1]] * 100)[:100]


@dataclass
class NationalState:
    """What the state stands for; leaf deltas come from :meth:`chunks` (village order)."""

    conn: asyncpg.Connection
    villages: list[str]
    extra: LeafDeltas
    counts: dict[str, int]

    async def chunks(self, villages_per_chunk: int = 2_000) -> AsyncIterator[LeafDeltas]:
        """Leaf deltas of ``villages_per_chunk`` villages at a time; then cases, alerts, etc."""
        for start in range(0, len(self.villages), villages_per_chunk):
            out: LeafDeltas = {}
            end = start + villages_per_chunk
            for r in await self.conn.fetch(
                "SELECT idx, st, sx, pr, oc, de, n FROM bench_workers WHERE idx >= $1 AND idx < $2",
                start,
                end,
            ):
                key = dims(
                    _STATUSES[r["st"]],
                    _SEXES[r["sx"]],
                    _PROCS[r["pr"]],
                    _OCCS[r["oc"]],
                    _DESTS[r["de"]],
                )
                out[(self.villages[r["idx"]], "workers", key)] = [r["n"], Decimal(0)]
            for r in await self.conn.fetch(
                "SELECT idx, lg, cp, n, amount FROM bench_fees WHERE idx >= $1 AND idx < $2",
                start,
                end,
            ):
                key = dims(_LEGALITIES[r["lg"]], _COMPONENTS[r["cp"]], "IDR")
                out[(self.villages[r["idx"]], "fees", key)] = [r["n"], Decimal(r["amount"])]
            yield out
        items = list(self.extra.items())
        for start in range(0, len(items), 200_000):
            yield dict(items[start : start + 200_000])


async def national_state(conn: asyncpg.Connection, workers: int, seed: int = 3) -> NationalState:
    """The leaf cube a national node holds after projecting ``workers`` workers' lives.

    Workers and fees are drawn and aggregated per village by PostgreSQL (temporary tables on
    ``conn``): villages as the simulator draws them (35% from NTT, the rest uniform over all
    83,763 villages), women 70% in NTT and 60% elsewhere, status registered 20% / verified 15% /
    departed 45% / returned 20%, 15% non-procedural, occupation by sex and destination (departed
    and returned workers) with the simulator's weights; 0.9 fees per worker (30% illegal,
    components and amounts as the simulator charges). Drawn in Python: one case per 25 workers
    (40% closed; open ones with a due date within ±60 days of today), one open alert per 100
    workers (half about a regency, i.e. its "not attributed below" area), 500 agencies.
    """
    all_villages = areas().villages()
    ntt = [v for v in all_villages if v.startswith("53.")]
    villages = ntt + [v for v in all_villages if not v.startswith("53.")]
    occ_f = _weighted(_OCCS, OCCUPATIONS_FEMALE)
    occ_m = _weighted(_OCCS, OCCUPATIONS_MALE)
    dest = [i + 1 for i in _weighted([d for d, _ in DESTINATIONS], DESTINATIONS)]
    comp = _weighted(_COMPONENTS, COMPONENTS)
    await conn.execute("SET work_mem = '512MB'")
    await conn.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    await conn.execute(_WORKERS_SQL, workers, len(ntt), len(villages), occ_f, occ_m, dest)
    fees = int(0.9 * workers)
    await conn.execute(_FEES_SQL, fees, len(ntt), len(villages), comp)
    await conn.execute("CREATE INDEX ON bench_workers (idx)")
    await conn.execute("CREATE INDEX ON bench_fees (idx)")
    await conn.execute("ANALYZE bench_workers; ANALYZE bench_fees")
    worker_rows = await conn.fetchval("SELECT count(*) FROM bench_workers")
    fee_rows = await conn.fetchval("SELECT count(*) FROM bench_fees")
    villages_with = await conn.fetchval("SELECT count(DISTINCT idx) FROM bench_workers")

    py = random.Random(seed)
    pop = Population(py)
    today = date.today()
    cats = [c.value for c in CaseCategory]
    open_statuses = [s.value for s in CaseStatus if s != CaseStatus.CLOSED]
    levels = [lv.value for lv in Level]
    gbvs = [g.value for g in GbvType]
    extra: LeafDeltas = {}

    def add(key: tuple[str, str, str], n: int = 1) -> None:
        extra.setdefault(key, [0, Decimal(0)])[0] += n

    cases = workers // 25
    for _ in range(cases):
        village = pop.village()
        sex = "female" if py.random() < 0.65 else "male"
        closed = py.random() < 0.4
        status = "closed" if closed else py.choice(open_statuses)
        gbv = py.choice(gbvs) if sex == "female" and py.random() < 0.15 else None
        proc = "procedural" if py.random() < 0.6 else "non_procedural"
        add((village, "cases", dims(py.choice(cats), gbv, py.choice(levels), status, sex, proc)))
        if not closed:
            add((village, "cases_due", (today + timedelta(days=py.randrange(-60, 60))).isoformat()))
    alerts = workers // 100
    severities = [s.value for s in Severity]
    for _ in range(alerts):
        village = pop.village()
        area = village if py.random() < 0.5 else leaf_area(".".join(village.split(".")[:2]))
        add((area, "alerts_open", dims(py.choice(severities), py.choice(ALERT_RULES), "open")))
    provinces = list(areas().children("ID"))
    for i in range(500):
        status = py.choice(["licensed"] * 8 + ["suspended", "revoked"])
        add((leaf_area(provinces[i % len(provinces)]), "agencies", dims(status)))
    return NationalState(
        conn=conn,
        villages=villages,
        extra=extra,
        counts={
            "workers": workers,
            "fees": fees,
            "cases": cases,
            "alerts_open": alerts,
            "agencies": 500,
            "villages_with_workers": villages_with,
            "leaf_rows": worker_rows + fee_rows + len(extra),
        },
    )
