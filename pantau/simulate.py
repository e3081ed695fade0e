"""``pantau simulate``: drive a running registry through its public HTTP API with realistic traffic.

Each simulated worker has a life spread over a realistic period (``years`` back from today):
registered in a real village (NTT weighted as the most affected origin) with a NIK that follows
the national scheme, on a day in that period (``registered_on``, as an officer entering paper
records would); then verified, placed abroad, charged fees and brought home in plausible
proportions, some placed again. About one in seven is **non-procedural**: registered as reported
abroad (``procedural: false``), having left months or years before anyone recorded them. Fees are
charged before and during placements, to listed and unlisted occupations (illegal fees and
warnings), and about a third are **recorded late**: reported only after the placement that
followed the charge had been recorded (the case the zero-cost rule must judge by the day charged).
At the end one agency is suspended, and keeps charging fees in its name that day.

Every write carries an ``Idempotency-Key``. A connection error, a timeout or a 429/502/503/504 is
retried with backoff under the SAME key, so a request whose answer was lost is answered again by
the registry without being written twice. When the registry stays unreachable the run stops with
what it did so far. Nothing here reaches into a service: it is an HTTP client like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

import httpx

from pantau.simulate_cases import CaseCounts, Tokens, simulate_cases
from pantau.simulate_cases import Worker as CaseWorker
from pantau.simulate_services import Life, ServiceCounts, simulate_services
from shared.areas import areas, district_history

# Villages record registrations under Law 18/2017: the registry refuses older registration days.
REGISTRATIONS_BEGIN = date(2017, 11, 22)
MAX_YEARS = 8
# Shares in the national statistics (docs/domain.md): ~60% of workers are women, ~70% in NTT.
FEMALE_SHARE = {"53": 0.70}
DEFAULT_FEMALE_SHARE = 0.60
NTT_SHARE = 0.35
NON_PROCEDURAL_SHARE = 0.15
LATE_FEE_SHARE = 0.35
UNLICENSED_FEES = 2  # charged today by the agency suspended today
OCCUPATIONS_FEMALE = [
    ("housekeeper", 55),
    ("elderly_carer", 12),
    ("baby_carer", 8),
    ("caregiver", 8),
    ("factory_worker", 10),
    ("cook", 4),
    ("nurse", 3),
]
OCCUPATIONS_MALE = [
    ("farm_worker", 30),
    ("fishing_crew", 20),
    ("construction_worker", 20),
    ("factory_worker", 15),
    ("family_driver", 8),
    ("gardener", 4),
    ("merchant_seafarer", 3),
]
DESTINATIONS = [
    ("MY", 35),
    ("HK", 18),
    ("TW", 18),
    ("SG", 8),
    ("SA", 6),
    ("KR", 6),
    ("JP", 5),
    ("AE", 4),
]
CHANNELS = [("p3mi", 70), ("individual", 15), ("g2g", 10), ("g2b", 5)]
COMPONENTS = [
    ("agency_service_fee", 25),
    ("job_training", 15),
    ("health_exam", 12),
    ("passport", 10),
    ("departure_ticket", 10),
    ("work_visa", 8),
    ("accommodation", 8),
    ("local_transport", 7),
    ("other", 5),
]
# What a worker's life adds to the draws of Population (which benchmarks use as they are).
LIFE_OCCUPATIONS_FEMALE = [*OCCUPATIONS_FEMALE, ("institutional_caregiver", 3)]
RECRUITMENT_COMPONENTS = [*COMPONENTS, ("police_clearance", 3)]
ABROAD_COMPONENTS = [("agency_service_fee", 50), ("destination_health_exam", 20), ("other", 30)]
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# DESBUMI and Desmigratif villages: many workers come from villages with such programmes, where
# they are prepared together (the first villages of regencies known for them: Kupang, Kota
# Kupang, Lombok Timur, Jember, Banyuwangi, Wonosobo, Indramayu, Cilacap).
PROGRAMME_REGENCIES = ("53.01", "53.71", "52.03", "35.09", "35.10", "33.07", "32.12", "33.01")
PROGRAMME_VILLAGES_PER_REGENCY = 2
PROGRAMME_SHARE = 0.40


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def _between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randint(0, max(0, (high - low).days)))


def make_nik(district: str, birth_date: date, sex: str, serial: int) -> str:
    """A NIK as the civil registry writes it: ``PPRRDD`` + ``DDMMYY`` (+40 on the day for women)."""
    day = birth_date.day + (40 if sex == "female" else 0)
    return f"{district.replace('.', '')}{day:02d}{birth_date:%m%y}{serial:04d}"


def utc_today() -> date:
    return datetime.now(UTC).date()


# The plan: what happens to one worker, in the order it is recorded -------------------------------
@dataclass(frozen=True)
class Step:
    """One write; ``path`` holds ``{id}`` where the worker's id goes once registered."""

    name: str  # register, verify, depart, fee, return
    path: str
    body: dict[str, Any]
    late: bool = False  # a fee recorded after the placement that followed its charge


@dataclass(frozen=True)
class WorkerPlan:
    procedural: bool
    steps: list[Step]


@dataclass
class Population:
    """Who and where: villages to draw from (NTT weighted up, as in the domain's statistics) and
    the people registered there. Benchmarks draw their data from it, so its draws stay as they
    are; :class:`Lives` adds the when and what happened."""

    rng: random.Random
    villages: list[str] = field(default_factory=list)
    ntt: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.villages = areas().villages()
        self.ntt = [v for v in self.villages if v.startswith("53.")]

    def village(self) -> str:
        pool = self.ntt if self.rng.random() < NTT_SHARE else self.villages
        return self.rng.choice(pool)

    def female(self, village: str) -> bool:
        return self.rng.random() < FEMALE_SHARE.get(village[:2], DEFAULT_FEMALE_SHARE)

    def registration(self, village: str | None = None) -> dict[str, Any]:
        village = village or self.village()
        female = self.female(village)
        birth = date(1975, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 30))
        return self.person(village, female, birth)

    def person(
        self,
        village: str,
        female: bool,
        birth: date,
        *,
        district: str | None = None,
        occupations: list[tuple[str, int]] | None = None,
    ) -> dict[str, Any]:
        """A registration body; the NIK under ``district`` (default: the village's)."""
        rng = self.rng
        sex = "female" if female else "male"
        occupations = occupations or (OCCUPATIONS_FEMALE if female else OCCUPATIONS_MALE)
        occupation = _pick(rng, occupations)
        return {
            "nik": make_nik(
                district or village.rsplit(".", 1)[0], birth, sex, rng.randrange(1, 10_000)
            ),
            "name": f"Simulated Worker {uuid.UUID(int=rng.getrandbits(128)).hex[:8]}",
            "sex": sex,
            "birth_date": birth.isoformat(),
            "village": village,
            "occupation": occupation,
        }

    def departure(self, occupation: str | None, agency_id: str | None) -> dict[str, Any]:
        departed = date(2024, 1, 1) + timedelta(days=self.rng.randrange(0, 700))
        channel = _pick(self.rng, CHANNELS)
        return {
            "occupation": occupation or "other",
            "destination_country": _pick(self.rng, DESTINATIONS),
            "channel": channel,
            "agency_id": agency_id if channel == "p3mi" else None,
            "departed_on": departed.isoformat(),
            "contract_end": (departed + timedelta(days=730)).isoformat(),
        }

    def fee(self, agency_id: str | None) -> dict[str, Any]:
        return {
            "component": _pick(self.rng, COMPONENTS),
            "amount": self.rng.randrange(5, 300) * 100_000,
            "currency": "IDR",
            "charged_on": (
                date(2023, 6, 1) + timedelta(days=self.rng.randrange(0, 900))
            ).isoformat(),
            "agency_id": agency_id,
        }


@dataclass
class Lives:
    """Draws workers' lives over ``[start, today]``; deterministic for a seeded ``rng``."""

    rng: random.Random
    today: date
    years: int = 5
    agencies: list[str] = field(default_factory=list)
    people: Population = field(init=False)
    programme_villages: list[str] = field(init=False)
    retired_before: dict[str, list[tuple[str, date]]] = field(init=False)

    def __post_init__(self) -> None:
        self.people = Population(self.rng)
        index = areas()
        self.programme_villages = [
            village
            for regency in PROGRAMME_REGENCIES
            for district in sorted(index.children(regency))[:1]
            for village in sorted(index.children(district))[:PROGRAMME_VILLAGES_PER_REGENCY]
        ]
        # Districts renumbered since 2013 (Malaka's were Belu's): older NIKs keep the old code.
        self.retired_before = {}
        for old in district_history().values():
            if old.successor:
                self.retired_before.setdefault(old.successor, []).append(
                    (old.code, old.valid_until)
                )

    @property
    def start(self) -> date:
        return max(REGISTRATIONS_BEGIN, self.today - timedelta(days=round(365.25 * self.years)))

    def nik_district(self, district: str, birth: date) -> str:
        """The district a NIK was issued under: the village's, or half the time, for someone
        born while it had an older code, that older code."""
        older = [code for code, until in self.retired_before.get(district, []) if birth <= until]
        return self.rng.choice(older) if older and self.rng.random() < 0.5 else district

    def registration(self, registered_on: date, *, procedural: bool = True) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < PROGRAMME_SHARE:
            village = rng.choice(self.programme_villages)
        else:
            village = self.people.village()
        female = self.people.female(village)
        birth = registered_on - timedelta(days=rng.randint(18 * 366, 45 * 365))
        body = self.people.person(
            village,
            female,
            birth,
            district=self.nik_district(village.rsplit(".", 1)[0], birth),
            occupations=LIFE_OCCUPATIONS_FEMALE if female else OCCUPATIONS_MALE,
        )
        if not procedural and rng.random() < 0.4:
            body["occupation"] = None  # reported abroad by family: the job is often not known
        return body | {"procedural": procedural, "registered_on": registered_on.isoformat()}

    def departure(
        self, occupation: str, departed_on: date, *, procedural: bool = True
    ) -> dict[str, Any]:
        rng = self.rng
        channel = _pick(rng, CHANNELS) if procedural else rng.choice(["individual"] * 3 + ["p3mi"])
        agency = rng.choice(self.agencies) if self.agencies and channel == "p3mi" else None
        if channel == "p3mi" and agency is None:
            channel = "individual"
        return {
            "occupation": occupation,
            "destination_country": _pick(rng, DESTINATIONS),
            "channel": channel,
            "agency_id": agency,
            "departed_on": departed_on.isoformat(),
            "contract_end": (departed_on + timedelta(days=730)).isoformat(),
        }

    def fee(self, charged_on: date, components: list[tuple[str, int]]) -> dict[str, Any]:
        rng = self.rng
        agency = rng.choice(self.agencies) if self.agencies and rng.random() < 0.6 else None
        return {
            "component": _pick(rng, components),
            "amount": rng.randrange(5, 300) * 100_000,
            "currency": "IDR",
            "charged_on": charged_on.isoformat(),
            "agency_id": agency,
        }

    def _other_job(self, occupation: str | None) -> str:
        everyone = LIFE_OCCUPATIONS_FEMALE + OCCUPATIONS_MALE
        return _pick(self.rng, [(o, w) for o, w in everyone if o != occupation])

    def plan(self) -> WorkerPlan:
        """One worker's life, as the writes that record it (in recording order)."""
        rng, today = self.rng, self.today
        procedural = rng.random() >= NON_PROCEDURAL_SHARE
        registered_on = _between(rng, self.start, today)
        body = self.registration(registered_on, procedural=procedural)
        applied_for: str | None = body["occupation"]
        steps = [Step("register", "/v1/workers", body)]
        if procedural:
            steps += self._procedural(registered_on, applied_for)
        else:
            steps += self._reported_abroad(registered_on, applied_for)
        return WorkerPlan(procedural, steps)

    def _fees_before(self, low: date, high: date, *, late: bool | None = None) -> list[Step]:
        """Recruitment fees charged in [low, high] (not after today), for the placement that
        ``high`` starts; ``late`` None: a share of them is reported only after that placement."""
        steps = []
        for _ in range(self.rng.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]):
            charged = _between(self.rng, low, min(high, self.today))
            is_late = (self.rng.random() < LATE_FEE_SHARE) if late is None else late
            body = self.fee(charged, RECRUITMENT_COMPONENTS)
            steps.append(Step("fee", "/v1/workers/{id}/fees", body, late=is_late))
        return steps

    def _around(self, fees: list[Step], placement: Step) -> list[Step]:
        """The fees reported in time, the placement, then the fees reported late."""
        return [s for s in fees if not s.late] + [placement] + [s for s in fees if s.late]

    def _procedural(self, registered_on: date, applied_for: str | None) -> list[Step]:
        rng, today = self.rng, self.today
        recruited_from = registered_on - timedelta(days=120)  # brokers charge before registration
        verified_on = registered_on + timedelta(days=rng.randint(7, 60))
        if verified_on > today or rng.random() > 0.8:  # not (yet) verified: no placement
            return self._fees_before(recruited_from, today, late=False)
        verify = {"verified_on": verified_on.isoformat()}
        steps = [Step("verify", "/v1/workers/{id}/verification", verify)]
        departed_on = verified_on + timedelta(days=rng.randint(20, 150))
        if departed_on > today or rng.random() > 0.75:  # waiting, or gave up
            return steps + self._fees_before(recruited_from, today, late=False)
        # Most are placed in the job they applied for; some in another (the fee rule's hard case).
        placed_as = applied_for if rng.random() < 0.85 else self._other_job(applied_for)
        placed_as = placed_as or self._other_job(None)
        depart = self.departure(placed_as, departed_on)
        fees = self._fees_before(recruited_from, departed_on)
        steps += self._around(fees, Step("depart", "/v1/workers/{id}/departures", depart))
        return steps + self._abroad_and_home(departed_on, placed_as)

    def _reported_abroad(self, registered_on: date, applied_for: str | None) -> list[Step]:
        """Registered when reported abroad, having left before: their fees come to light later."""
        rng = self.rng
        departed_on = registered_on - timedelta(days=rng.randint(30, 900))
        placed_as = applied_for or self._other_job(None)
        depart = self.departure(placed_as, departed_on, procedural=False)
        steps = [Step("depart", "/v1/workers/{id}/departures", depart)]
        steps += self._fees_before(departed_on - timedelta(days=150), departed_on, late=True)
        return steps + self._abroad_and_home(departed_on, placed_as, again=False)

    def _abroad_and_home(
        self, departed_on: date, placed_as: str, *, again: bool = True
    ) -> list[Step]:
        rng, today = self.rng, self.today
        steps: list[Step] = []
        if rng.random() < 0.15:
            charged = _between(rng, departed_on, today)
            fee = self.fee(charged, ABROAD_COMPONENTS)
            steps.append(Step("fee", "/v1/workers/{id}/fees", fee))
        if rng.random() < 0.12:  # sent home early: deported, ill, run away from abuse
            returned_on = departed_on + timedelta(days=rng.randint(30, 600))
        else:
            returned_on = departed_on + timedelta(days=730 + rng.randint(0, 60))
        if returned_on > today or rng.random() < 0.2:  # still abroad, or overstaying unrecorded
            return steps
        home = {"returned_on": returned_on.isoformat()}
        steps.append(Step("return", "/v1/workers/{id}/returns", home))
        departs_again = returned_on + timedelta(days=rng.randint(60, 300))
        if not again or departs_again > today or rng.random() > 0.3:
            return steps
        next_job = placed_as if rng.random() < 0.7 else self._other_job(placed_as)
        fees = self._fees_before(returned_on + timedelta(days=1), departs_again)
        depart = Step(
            "depart", "/v1/workers/{id}/departures", self.departure(next_job, departs_again)
        )
        return steps + self._around(fees, depart)


# The run -----------------------------------------------------------------------------------------
class RegistryUnreachable(RuntimeError):
    """A service did not answer a write within the retry budget: the registry's stops the run,
    the cases service's only its part."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits up to min(cap, base * 2**n)."""

    attempts: int = 8
    base_seconds: float = 0.25
    cap_seconds: float = 8.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(self.cap_seconds, retry_after)
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


@dataclass
class SimulationResult:
    """What the run did: writes by kind, refusals, retries, and what the traffic contained."""

    workers: int = 0  # planned
    calls: Counter[str] = field(default_factory=Counter)  # writes attempted (not attempts)
    done: Counter[str] = field(default_factory=Counter)  # writes the registry accepted
    refused: Counter[str] = field(default_factory=Counter)  # "<write> <status>"
    fees: Counter[str] = field(default_factory=Counter)  # by legality
    late_fees: int = 0
    non_procedural: int = 0  # registered as reported abroad
    retries: int = 0  # extra attempts under the same key
    replayed: int = 0  # answers the registry replayed (Idempotent-Replayed: true)
    first_day: date | None = None  # the earliest and latest day of anything recorded
    last_day: date | None = None
    first_registered: date | None = None  # the registration days (the --years period)
    last_registered: date | None = None
    finished: int = 0  # workers whose plan ran to its end (or to a refusal)
    seconds: float = 0.0
    aborted: str | None = None
    cases: CaseCounts | None = None  # the cases part of the run, when there was one
    services: ServiceCounts | None = None  # the services part of the run, when there was one
    unlicensed_fees: int = 0  # fees charged today by the agency suspended today

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def saw(self, day: date) -> None:
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)

    def registered(self, day: date) -> None:
        self.first_registered = min(self.first_registered or day, day)
        self.last_registered = max(self.last_registered or day, day)

    @property
    def stage(self) -> str:
        """What the run is doing after the workers' lives, for the progress line."""
        if self.cases is not None:
            if self.cases.waiting:
                return "cases: waiting for the cases service to learn the run's workers"
            return f"cases: {self.cases.opened} opened, {self.cases.reports} reports"
        if self.services is not None:
            return f"services: {sum(self.services.deliveries.values())} recorded"
        return ""

    def summary(self, registry_url: str) -> list[str]:
        """The lines ``pantau simulate`` prints at the end."""
        period = (
            f" registered over {self.first_registered} .. {self.last_registered}"
            if self.first_registered and self.last_registered
            else ""
        )
        done = self.done
        if not done and self.aborted:
            return [f"simulated nothing against {registry_url}: {self.aborted}"]
        fees = f"illegal {self.fees['illegal']}, warning {self.fees['warning']}"
        lines = [
            f"simulated {self.finished} of {self.workers} workers{period} against {registry_url}"
            f" in {self.seconds:.1f} s",
            f"  registered {done['register']:>7}  ({self.non_procedural} non-procedural, "
            "registered as reported abroad)",
            *self._earlier(),
            f"  verified   {done['verify']:>7}",
            f"  departed   {done['depart']:>7}",
            f"  returned   {done['return']:>7}",
            f"  fees       {done['fee']:>7}  ({fees}; {self.late_fees} recorded late, after the "
            "placement that followed the charge)",
            f"  unlicensed {self.unlicensed_fees:>7}  fees charged today by an agency suspended "
            "today (it kept recruiting)",
            f"  calls      {self.total:>7}  ({self.retries} retried under the same "
            f"Idempotency-Key, {self.replayed} replayed by the registry, "
            f"{sum(self.refused.values())} refused)",
        ]
        if self.services is not None:
            lines += self.services.summary()
        if self.cases is not None:
            lines += self.cases.summary()
        lines += [f"  refused {name}: {count}" for name, count in sorted(self.refused.items())]
        if self.aborted:
            lines.append(f"  stopped early: {self.aborted}")
        return lines


    def _earlier(self) -> list[str]:
        """The days recorded before the registration period, said as such (not a longer run)."""
        if not (self.first_day and self.first_registered) or (
            self.first_day >= self.first_registered
        ):
            return []
        return [
            f"  earliest   {self.first_day}  (before the first registration: fees charged "
            "before registering, and departures of workers registered when reported abroad)"
        ]


class Progress:
    """Progress of a long run on a stream: a line at most every ``every`` seconds, and at the end
    (rewritten in place on a terminal)."""

    def __init__(self, stream: TextIO, total: int, every: float = 1.0) -> None:
        self.stream, self.total, self.every = stream, total, every
        self.started = time.monotonic()
        self._last = 0.0
        self._tty = stream.isatty()
        self._width = 0

    def __call__(self, result: SimulationResult, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < self.every:
            return
        self._last = now
        share = result.finished / self.total if self.total else 1.0
        line = (
            f"simulate: {result.finished}/{self.total} workers ({share:.0%}), "
            f"{result.total} calls, {result.retries} retried, {now - self.started:.0f} s"
        )
        if result.stage and not final:
            line += f"; {result.stage}"
        end = "\n" if final or not self._tty else ""
        padded = line.ljust(self._width) if self._tty else line  # rub out a longer line
        self._width = len(line)
        self.stream.write(("\r" if self._tty else "") + padded + end)
        self.stream.flush()


class _Writer:
    """POSTs with one Idempotency-Key per write, retried with backoff under that same key."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        result: SimulationResult,
        policy: RetryPolicy,
        rng: random.Random,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.client, self.result, self.policy, self.rng, self.sleep = (
            client,
            result,
            policy,
            rng,
            sleep,
        )

    async def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """``idempotent``: a POST carries an Idempotency-Key (kept across its retries)."""
        key = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" and idempotent else {}
        headers = {**(headers or {}), **key}
        last = "no answer"
        for attempt in range(self.policy.attempts):
            if attempt:
                self.result.retries += 1
            retry_after: float | None = None
            try:
                response = await self.client.request(
                    method, path, json=body, headers=headers, params=params
                )
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.headers.get("Idempotent-Replayed") == "true":
                        self.result.replayed += 1
                    return response
                last = f"HTTP {response.status_code}"
                with contextlib.suppress(ValueError):
                    retry_after = float(response.headers.get("Retry-After", ""))
            if attempt + 1 < self.policy.attempts:
                await self.sleep(self.policy.delay(attempt, self.rng, retry_after))
        raise RegistryUnreachable(
            f"{method} {path} got no answer after {self.policy.attempts} attempts ({last})"
        )

    async def post(
        self,
        name: str,
        path: str,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (),
    ) -> dict[str, Any] | None:
        """The answer's body, or None when refused (``ok``: refusals that are no failure)."""
        self.result.calls[name] += 1
        response = await self.request("POST", path, body, headers=headers)
        if response.status_code in ok:
            self.result.done[name] += 1
            return {}
        if response.status_code >= 300:
            self.result.refused[f"{name} {response.status_code}"] += 1
            return None
        self.result.done[name] += 1
        return dict(response.json())


async def _agencies(writer: _Writer, rng: random.Random) -> list[str]:
    """Five fresh agencies when the caller may license them, else the ones already licensed."""
    run = uuid.UUID(int=rng.getrandbits(128)).hex[:8]  # licence numbers are unique per run
    created = [
        await writer.post(
            "agency",
            "/v1/agencies",
            {"name": f"PT Simulasi Penempatan {n + 1}", "licence_no": f"SIM-{run}-{n + 1}"},
        )
        for n in range(5)
    ]
    ids = [agency["id"] for agency in created if agency]
    if ids:
        return ids
    listed = await writer.request("GET", "/v1/agencies", None)
    if listed.status_code != 200:
        return []
    body = listed.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    return [a["id"] for a in items if a.get("status", "licensed") == "licensed"]


@dataclass(frozen=True)
class Recorded:
    """A life as the registry recorded it: what complaints about the worker need, and what the
    services around the worker's departures and returns need."""

    worker: CaseWorker
    life: Life


async def _run_plan(plan: WorkerPlan, writer: _Writer, result: SimulationResult) -> Recorded | None:
    """Record one life (None if the worker was never registered)."""
    worker_id: str | None = None
    recorded: CaseWorker | None = None
    life: Life | None = None
    for step in plan.steps:
        path = step.path.replace("{id}", worker_id or "")
        answer = await writer.post(step.name, path, step.body)
        if answer is None:
            break  # refused: the rest of this life cannot be recorded
        for key in ("registered_on", "departed_on", "charged_on", "returned_on", "verified_on"):
            if key in step.body:
                result.saw(date.fromisoformat(step.body[key]))
        if step.name == "register":
            worker_id = answer["id"]
            result.registered(date.fromisoformat(step.body["registered_on"]))
            result.non_procedural += not plan.procedural
            recorded = CaseWorker(
                id=answer["id"],
                village=step.body["village"],
                sex=step.body["sex"],
                registered_on=date.fromisoformat(step.body["registered_on"]),
                departed_on=None,
                procedural=plan.procedural,
            )
            life = Life(
                id=answer["id"],
                village=step.body["village"],
                sex=step.body["sex"],
                born=date.fromisoformat(step.body["birth_date"]),
                registered_on=date.fromisoformat(step.body["registered_on"]),
                procedural=plan.procedural,
            )
        elif step.name == "depart" and recorded is not None and life is not None:
            departed_on = date.fromisoformat(step.body["departed_on"])
            recorded = dataclasses.replace(recorded, departed_on=departed_on)
            life.placements.append([departed_on, None])
        elif step.name == "return" and life is not None and life.placements:
            life.placements[-1][1] = date.fromisoformat(step.body["returned_on"])
        elif step.name == "fee":
            result.fees[answer.get("legality", "unknown")] += 1
            result.late_fees += step.late
    if recorded is None or life is None:
        return None
    return Recorded(recorded, life)


async def simulate(
    registry_url: str,
    token: str,
    *,
    workers: int,
    concurrency: int = 16,
    seed: int | None = None,
    years: int = 5,
    today: date | None = None,
    on_progress: Callable[[SimulationResult], None] | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    cases_url: str | None = None,
    tokens: Tokens | None = None,
    cases_transport: httpx.AsyncBaseTransport | None = None,
) -> SimulationResult:
    """Record ``workers`` simulated lives through the registry's API (see the module docstring),
    then, given ``cases_url`` and ``tokens`` (a token for a role and area), the complaints and
    reports about them through the cases API (:mod:`pantau.simulate_cases`).

    Stops early (``result.aborted``) when the registry stays unreachable beyond ``retry``.
    """
    if not 1 <= years <= MAX_YEARS:
        raise ValueError(f"years must be 1 to {MAX_YEARS}")
    rng = random.Random(seed)
    result = SimulationResult(workers=workers)
    lives = Lives(rng, today or utc_today(), years)
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    # Progress goes on after the lives (services, cases): at least once a second.
    ticker = asyncio.create_task(_tick(on_progress, result)) if on_progress else None
    try:
        await _run(
            registry_url,
            headers,
            lives,
            result,
            workers=workers,
            concurrency=concurrency,
            seed=seed,
            on_progress=on_progress,
            retry=retry,
            transport=transport,
            sleep=sleep,
            cases_url=cases_url,
            tokens=tokens,
            cases_transport=cases_transport,
        )
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
    result.seconds = time.monotonic() - started
    return result


async def _tick(on_progress: Callable[[SimulationResult], None], result: SimulationResult) -> None:
    while True:
        await asyncio.sleep(1.0)  # real time, whatever the run's (test) sleep
        on_progress(result)


async def _run(
    registry_url: str,
    headers: dict[str, str],
    lives: Lives,
    result: SimulationResult,
    *,
    workers: int,
    concurrency: int,
    seed: int | None,
    on_progress: Callable[[SimulationResult], None] | None,
    retry: RetryPolicy | None,
    transport: httpx.AsyncBaseTransport | None,
    sleep: Callable[[float], Awaitable[None]],
    cases_url: str | None,
    tokens: Tokens | None,
    cases_transport: httpx.AsyncBaseTransport | None,
) -> None:
    rng = lives.rng
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=registry_url, headers=headers, limits=limits, timeout=30, transport=transport
    ) as client:
        writer = _Writer(client, result, retry or RetryPolicy(), random.Random(seed), sleep)
        try:
            lives.agencies = await _agencies(writer, rng)
        except RegistryUnreachable as exc:
            result.aborted = str(exc)
        else:
            plans: Iterator[WorkerPlan] = (lives.plan() for _ in range(workers))
            recorded: list[Recorded] = []

            async def work() -> None:
                for plan in plans:  # one shared generator: plans stay in seed order
                    done = await _run_plan(plan, writer, result)
                    if done is not None:
                        recorded.append(done)
                    result.finished += 1
                    if on_progress:
                        on_progress(result)

            try:
                async with asyncio.TaskGroup() as group:
                    for _ in range(min(concurrency, workers)):
                        group.create_task(work())
            except* RegistryUnreachable as caught:
                result.aborted = str(caught.exceptions[0])
            # Plans finish in any order (concurrency): seed order again, for what follows.
            recorded.sort(key=lambda r: (r.worker.registered_on, r.worker.village, r.worker.id))
            if tokens is not None and result.aborted is None:
                result.services = ServiceCounts()
                programme = set(lives.programme_villages)
                try:
                    await simulate_services(
                        writer,
                        tokens,
                        [
                            dataclasses.replace(r.life, programme=r.life.village in programme)
                            for r in recorded
                        ],
                        random.Random(f"{seed}-services"),
                        lives.today,
                        result.services,
                    )
                except RegistryUnreachable as exc:
                    result.aborted = str(exc)
            if result.aborted is None:
                try:
                    await _suspended_recruiter(writer, lives, [r.worker for r in recorded], result)
                except RegistryUnreachable as exc:
                    result.aborted = str(exc)
            if cases_url is not None and tokens is not None and result.aborted is None:
                result.cases = CaseCounts(url=cases_url)
                policy, cases_rng = retry or RetryPolicy(), random.Random(f"{seed}-cases")
                async with httpx.AsyncClient(
                    base_url=cases_url, timeout=30, transport=cases_transport
                ) as cases_client:
                    await _cases(
                        _Writer(cases_client, result, policy, random.Random(seed), sleep),
                        tokens,
                        [r.worker for r in recorded],
                        cases_rng,
                        lives.today,
                        result.cases,
                        sleep,
                    )


async def _suspended_recruiter(
    writer: _Writer, lives: Lives, recorded: list[CaseWorker], result: SimulationResult
) -> None:
    """The ministry suspends one of the run's agencies today (illegal fees), and it keeps
    recruiting: fees charged today in its name are recorded for a few placed workers (the
    alerts service's ``unlicensed_agency``). Nothing happens for a caller who may not suspend."""
    placed = [w for w in recorded if w.departed_on is not None][:UNLICENSED_FEES]
    if not lives.agencies or not placed:
        return
    agency = lives.agencies[0]
    suspended = await writer.post(
        "suspend", f"/v1/agencies/{agency}/suspension", {"reason": "illegal_fees"}
    )
    if suspended is None:
        return
    for worker in placed:
        body = {**lives.fee(lives.today, ABROAD_COMPONENTS), "agency_id": agency}
        answer = await writer.post("fee", f"/v1/workers/{worker.id}/fees", body)
        if answer is not None:
            result.fees[answer.get("legality", "unknown")] += 1
            result.unlicensed_fees += 1


async def _cases(
    writer: _Writer,
    tokens: Tokens,
    workers: list[CaseWorker],
    rng: random.Random,
    today: date,
    counts: CaseCounts,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """The cases part of a run; a cases service that does not answer is noted, not fatal."""
    try:
        await writer.client.get("/health/live")
    except httpx.TransportError:
        counts.skipped = "no cases service answers there"
        return
    try:
        await simulate_cases(writer, tokens, workers, rng, today, counts, sleep)
    except RegistryUnreachable as exc:
        counts.skipped = str(exc)
