"""``pantau simulate``: the lives it plans are valid requests spread over years, and its writes are
retried with backoff under the same Idempotency-Key."""

from __future__ import annotations

import asyncio
import io
import json
import random
import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from pantau.simulate import (
    REGISTRATIONS_BEGIN,
    UNLICENSED_FEES,
    Lives,
    Progress,
    RetryPolicy,
    SimulationResult,
    simulate,
)
from pantau.simulate_cases import (
    CLUSTER,
    MAX_CLUSTER,
    REPLICA_POLL_SECONDS,
    REPLICA_WAIT_SECONDS,
    SURGE_FACTOR,
    SURGE_WINDOW_DAYS,
    CaseCounts,
    cluster_of,
    surge_size,
)
from pantau.simulate_cases import Worker as CaseWorker
from pantau.simulate_services import Life, ServiceCounts, simulate_services
from services.registry.deliveries.models import ServiceIn, SessionIn
from services.registry.fees.legality import fee_legality
from services.registry.fees.models import FeeIn
from services.registry.fees.occupation import Placement, occupation_on
from services.registry.workers.models import (
    DepartureIn,
    ReturnIn,
    VerificationIn,
    WorkerIn,
)
from services.registry.workers.service import registration_errors
from shared.contract.codes import (
    PRE_DEPARTURE_SERVICES,
    FeeComponent,
    Legality,
    Occupation,
    ServiceKind,
)

TODAY = date(2026, 12, 6)
MODELS = {"verify": VerificationIn, "depart": DepartureIn, "fee": FeeIn, "return": ReturnIn}


def _plans(count: int = 1500, years: int = 5, seed: int = 7) -> list[Any]:
    agencies = [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]
    population = Lives(random.Random(seed), TODAY, years, agencies=agencies)
    return [population.plan() for _ in range(count)]


def _day(body: dict[str, Any], key: str) -> date:
    return date.fromisoformat(body[key])


def test_every_planned_write_is_a_valid_request_in_time_order():
    for plan in _plans():
        register, *rest = plan.steps
        assert register.name == "register" and register.path == "/v1/workers"
        worker = WorkerIn.model_validate(register.body)
        assert worker.procedural is plan.procedural
        registered = worker.registered_on
        assert registered is not None and TODAY - timedelta(days=5 * 366) <= registered <= TODAY
        assert registration_errors(worker, on=registered) == []  # a valid NIK, even a retired code
        departures: list[date] = []
        for step in rest:
            MODELS[step.name].model_validate(step.body)
            assert "{id}" in step.path
            for key, value in step.body.items():
                if key.endswith("_on"):
                    assert date.fromisoformat(value) <= TODAY, (step.name, key)
            if step.name == "verify":
                assert _day(step.body, "verified_on") >= registered
            if step.name == "depart":
                departed = _day(step.body, "departed_on")
                assert not departures or departed >= departures[-1]
                if plan.procedural:
                    assert departed > registered
                departures.append(departed)
            if step.name == "return":
                assert _day(step.body, "returned_on") >= departures[-1]
            if step.name == "fee" and step.late:
                # Recorded after the placement that followed the charge.
                assert departures and _day(step.body, "charged_on") <= departures[-1]
        if not plan.procedural:
            assert rest and rest[0].name == "depart"  # reported abroad: left before
            assert _day(rest[0].body, "departed_on") < registered


def _judged(plan: Any) -> list[tuple[Legality, bool]]:
    """The registry's judgement of each planned fee, from what is recorded before it."""
    applied = plan.steps[0].body["occupation"]
    placements: list[Placement] = []
    out = []
    for step in plan.steps[1:]:
        body = step.body
        if step.name == "depart":
            placements.append(
                Placement(Occupation(body["occupation"]), _day(body, "departed_on"), None)
            )
        elif step.name == "return":
            last = placements[-1]
            placements[-1] = Placement(last.occupation, last.departed_on, _day(body, "returned_on"))
        elif step.name == "fee":
            day = _day(body, "charged_on")
            on = occupation_on(day, placements, Occupation(applied) if applied else None)
            legality = fee_legality(FeeComponent(body["component"]), day, on.occupation)
            out.append((legality, step.late))
    return out


def test_the_traffic_is_realistic_history_not_today():
    plans = _plans()
    registered = [date.fromisoformat(p.steps[0].body["registered_on"]) for p in plans]
    assert len({d.year for d in registered}) >= 5
    assert min(registered) < TODAY - timedelta(days=4 * 365)
    non_procedural = sum(not p.procedural for p in plans) / len(plans)
    assert 0.10 <= non_procedural <= 0.20
    fees = [judged for p in plans for judged in _judged(p)]
    legality = Counter(legality for legality, _ in fees)
    assert legality[Legality.ILLEGAL] > 100 and legality[Legality.WARNING] > 100
    late = sum(is_late for _, is_late in fees)
    assert 0.2 * len(fees) <= late <= 0.6 * len(fees)
    names = Counter(step.name for p in plans for step in p.steps)
    assert names["depart"] > names["return"] > 0 and names["verify"] > 0


def test_older_niks_keep_their_retired_district_codes():
    population = Lives(random.Random(3), TODAY)
    districts = {population.nik_district("53.21.01", date(1990, 1, 1)) for _ in range(50)}
    assert districts == {"53.21.01", "53.04.08"}  # Malaka Tengah, Belu's until 2013
    assert {population.nik_district("53.21.01", date(2016, 1, 1)) for _ in range(20)} == {
        "53.21.01"
    }


def test_registration_days_never_precede_law_18_2017():
    population = Lives(random.Random(1), TODAY, years=8)
    assert population.start == max(REGISTRATIONS_BEGIN, TODAY - timedelta(days=round(365.25 * 8)))
    for _ in range(300):
        plan = population.plan()
        assert date.fromisoformat(plan.steps[0].body["registered_on"]) >= REGISTRATIONS_BEGIN


# Retries ---------------------------------------------------------------------------------------
class Registry:
    """A fake registry over httpx.MockTransport: fails the first ``failures`` attempts of each
    write the way it is told, and records what it saw."""

    def __init__(self, failures: int = 0, how: str = "connect") -> None:
        self.failures, self.how = failures, how
        self.seen: list[httpx.Request] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.attempts: Counter[str] = Counter()
        self.workers = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        key = request.headers.get("Idempotency-Key", "")
        self.attempts[key] += 1
        if self.attempts[key] <= self.failures and self.how != "lost":
            if self.how == "connect":
                raise httpx.ConnectError("connection refused", request=request)
            if self.how == "503":
                return httpx.Response(503, json={"detail": "starting"})
            if self.how == "429":
                return httpx.Response(429, headers={"Retry-After": "3"})
        if key in self.stored:
            return httpx.Response(
                201, json=self.stored[key], headers={"Idempotent-Replayed": "true"}
            )
        answer = self._answer(request)
        self.stored[key] = answer
        if self.how == "lost":
            raise httpx.ReadError("connection reset", request=request)  # written, answer lost
        return httpx.Response(201, json=answer)

    def _answer(self, request: httpx.Request) -> dict[str, Any]:
        path = request.url.path
        if path == "/v1/workers":
            self.workers += 1
            return {"id": f"w-{self.workers}", "status": "registered", "version": 1}
        if path.endswith("/fees"):
            return {"id": "f", "legality": "illegal"}
        return {"id": "x"}


async def _run(registry: Registry, workers: int = 5, **options: Any) -> SimulationResult:
    sleeps: list[float] = options.pop("sleeps", [])

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return await simulate(
        "http://registry",
        "token",
        workers=workers,
        concurrency=2,
        seed=11,
        today=TODAY,
        transport=httpx.MockTransport(registry.handle),
        sleep=sleep,
        **options,
    )


@pytest.mark.parametrize("how", ["connect", "503", "lost"])
async def test_a_failed_write_is_retried_under_the_same_key(how):
    registry = Registry(failures=2, how=how)
    result = await _run(registry)
    assert result.aborted is None and result.finished == 5
    posts = [r for r in registry.seen if r.method == "POST"]
    keys = [r.headers["Idempotency-Key"] for r in posts]
    assert all(keys) and len(set(keys)) == result.total  # one key per write
    # Lost answers: the first attempt was written, the second is answered from the stored key.
    assert set(registry.attempts.values()) == ({2} if how == "lost" else {3})
    assert registry.workers == 5  # nothing written twice
    assert result.done["register"] == 5 and not result.refused
    assert result.retries == sum(registry.attempts.values()) - result.total
    if how == "lost":
        assert result.replayed == result.total


async def test_backoff_grows_and_honours_retry_after():
    sleeps: list[float] = []
    await _run(Registry(failures=3, how="connect"), workers=1, sleeps=sleeps)
    policy = RetryPolicy()
    assert sleeps and all(0 <= s <= policy.cap_seconds for s in sleeps)
    assert policy.delay(10, random.Random(1)) <= policy.cap_seconds
    sleeps.clear()
    await _run(Registry(failures=1, how="429"), workers=1, sleeps=sleeps)
    assert sleeps and set(sleeps) == {3.0}


async def test_an_unreachable_registry_stops_the_run_with_a_clear_reason():
    registry = Registry(failures=1000, how="connect")
    result = await _run(registry, retry=RetryPolicy(attempts=4))
    assert result.aborted is not None
    assert "after 4 attempts" in result.aborted and "ConnectError" in result.aborted
    assert result.finished == 0
    assert result.summary("http://registry") == [
        f"simulated nothing against http://registry: {result.aborted}"
    ]


async def test_the_summary_says_what_the_traffic_contained():
    registry = Registry()
    result = await _run(registry, workers=40)
    lines = "\n".join(result.summary("http://registry"))
    # The period named is the registrations' (--years, default 5); what was recorded before the
    # first registration (fees, departures of workers reported abroad) is said as such.
    first, last = result.first_registered, result.last_registered
    assert first is not None and last is not None
    assert f"simulated 40 of 40 workers registered over {first} .. {last} against " in lines
    assert TODAY - timedelta(days=round(365.25 * 5)) <= first <= last <= TODAY
    assert result.first_day is not None and result.first_day < first
    assert f"  earliest   {result.first_day}  (before the first registration: " in lines
    assert "http://registry" in lines
    assert "non-procedural" in lines and "recorded late" in lines and "illegal" in lines
    assert "retried under the same Idempotency-Key" in lines
    assert result.first_day is not None and result.first_day < TODAY - timedelta(days=365)


def test_progress_is_shown_on_long_runs():
    stream = io.StringIO()
    progress = Progress(stream, total=10, every=0)
    result = SimulationResult(workers=10, finished=4)
    progress(result)
    result.finished = 10
    progress(result, final=True)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("simulate: 4/10 workers (40%)")
    assert lines[-1].startswith("simulate: 10/10 workers (100%)")


def test_years_are_bounded():
    with pytest.raises(ValueError, match="years"):
        asyncio.run(simulate("http://x", "t", workers=1, years=0))


async def test_a_registry_lost_mid_run_stops_it_with_what_was_done():
    registry = Registry()
    answered = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal answered
        answered += 1
        if answered > 20:
            raise httpx.ConnectError("connection refused", request=request)
        return registry.handle(request)

    result = await simulate(
        "http://registry",
        "token",
        workers=50,
        concurrency=2,
        seed=11,
        today=TODAY,
        transport=httpx.MockTransport(handle),
        sleep=lambda seconds: asyncio.sleep(0),
        retry=RetryPolicy(attempts=3),
    )
    assert result.aborted is not None and 0 < result.finished < 50
    lines = result.summary("http://registry")
    assert lines[0].startswith(f"simulated {result.finished} of 50 workers")
    assert lines[-1] == f"  stopped early: {result.aborted}"


# Services --------------------------------------------------------------------------------------
class _Recorder:
    """Stands in for the simulation's writer: keeps every write the services part makes."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []

    async def post(
        self, name: str, path: str, body: dict[str, Any], *, headers: dict[str, str]
    ) -> dict[str, Any]:
        self.writes.append((name, path, body, headers))
        return {}


def _lives(count: int = 1500) -> list[Life]:
    """The plans' lives as the registry would record them (ids made up)."""
    out = []
    programme = set(Lives(random.Random(7), TODAY).programme_villages)
    for n, plan in enumerate(_plans(count)):
        register = plan.steps[0].body
        life = Life(
            id=str(uuid.UUID(int=n + 1)),
            village=register["village"],
            sex=register["sex"],
            born=date.fromisoformat(register["birth_date"]),
            registered_on=date.fromisoformat(register["registered_on"]),
            procedural=plan.procedural,
            programme=register["village"] in programme,
        )
        for step in plan.steps[1:]:
            if step.name == "depart":
                life.placements.append([_day(step.body, "departed_on"), None])
            elif step.name == "return":
                life.placements[-1][1] = _day(step.body, "returned_on")
        out.append(life)
    return out


def _services(lives: list[Life]) -> tuple[_Recorder, ServiceCounts]:
    """The services part of a run over ``lives``: its writes (each token says its role and
    area), and its counts."""
    recorder, counts = _Recorder(), ServiceCounts()
    tokens = lambda role, area: f"{role}@{area}"  # noqa: E731
    writer: Any = recorder  # stands in for the simulation's writer
    asyncio.run(simulate_services(writer, tokens, lives, random.Random(5), TODAY, counts))
    return recorder, counts


def test_services_are_valid_requests_in_sessions_and_one_by_one():
    lives = _lives()
    recorder, counts = _services(lives)
    by_id = {life.id: life for life in lives}
    days = []
    sizes = []
    for name, path, body, headers in recorder.writes:
        role, area = headers["Authorization"].removeprefix("Bearer ").split("@")
        if name == "service-session":
            session = SessionIn.model_validate(body)
            sizes.append(len(session.participants))
            participants = [(p.worker_id, p.beneficiary) for p in session.participants]
            keys = [(w, b.model_dump_json() if b else None) for w, b in participants]
            assert len(set(keys)) == len(keys), "each participant once"
            kind, day = session.kind, session.delivered_on
        else:
            single = ServiceIn.model_validate(body)
            participants = [(uuid.UUID(path.split("/")[3]), single.beneficiary)]
            kind, day = single.kind, single.delivered_on
        days.append(day)
        assert day <= TODAY
        # Recorded by the village's officer, or the regency's for its centre and office.
        assert role == ("village-officer" if body["provider"] == "village" else "regency-officer")
        for worker_id, beneficiary in participants:
            village = by_id[str(worker_id)].village
            assert village == area or village.startswith(area + ".")
            if kind is ServiceKind.COMMUNITY_PARENTING:
                assert beneficiary is not None and beneficiary.relation.value == "child"
            if beneficiary is not None:
                assert beneficiary.birth_year <= day.year
    assert days == sorted(days), "recorded in the order they were delivered"
    delivered = sum(counts.deliveries.values())
    assert delivered > 1000 and counts.sessions == len(sizes) > 50
    assert max(sizes) >= 4, "a village's or a centre's session gathers several"
    assert counts.to_family > 50
    assert set(counts.deliveries) == {k.value for k in ServiceKind}
    assert "services" in "\n".join(counts.summary())


def test_services_prepare_most_procedural_departures_and_few_others():
    lives = _lives()
    recorder, _ = _services(lives)
    delivered: dict[str, list[tuple[ServiceKind, date]]] = {}
    for _, path, body, _ in recorder.writes:
        ids = [p["worker_id"] for p in body.get("participants", []) if "beneficiary" not in p]
        if not ids and "beneficiary" not in body and path.endswith("/services"):
            ids = [path.split("/")[3]]
        for worker_id in ids:
            delivered.setdefault(worker_id, []).append(
                (ServiceKind(body["kind"]), date.fromisoformat(body["delivered_on"]))
            )
    prepared: Counter[tuple[bool, bool]] = Counter()  # (procedural, programme village)
    departed: Counter[tuple[bool, bool]] = Counter()
    for life in lives:
        for day, _ in life.placements[:1]:
            assert day is not None
            services = delivered.get(life.id, [])
            key = (life.procedural, life.programme)
            departed[key] += 1
            prepared[key] += any(k in PRE_DEPARTURE_SERVICES and d <= day for k, d in services)
    programme = prepared[(True, True)] / departed[(True, True)]
    elsewhere = prepared[(True, False)] / departed[(True, False)]
    assert programme > 0.9 and 0.5 < elsewhere < 0.8, (programme, elsewhere)
    assert prepared[(False, True)] + prepared[(False, False)] == 0


async def test_an_agency_suspended_today_keeps_charging_fees_in_its_name():
    registry = Registry()
    result = await _run(registry, workers=40)
    posts = [r for r in registry.seen if r.method == "POST"]
    (at,) = [i for i, r in enumerate(posts) if r.url.path.endswith("/suspension")]
    agency = posts[at].url.path.split("/")[3]
    later = [json.loads(r.content) for r in posts[at + 1 :] if r.url.path.endswith("/fees")]
    assert len(later) == result.unlicensed_fees == UNLICENSED_FEES
    assert all(f["agency_id"] == agency and f["charged_on"] == TODAY.isoformat() for f in later)
    assert "unlicensed" in "\n".join(result.summary("http://registry"))


def test_the_cluster_is_in_the_busiest_regency_s_quietest_village():
    def worker(village: str, n: int) -> CaseWorker:
        return CaseWorker(f"w-{village}-{n}", village, "female", TODAY, None, True)

    workers = [
        *(worker("53.71.01.1001", n) for n in range(4)),
        worker("53.71.01.1003", 0),
        worker("53.71.01.1002", 0),
        *(worker("33.01.01.2001", n) for n in range(3)),
    ]
    village, found = cluster_of(workers)
    assert village == "53.71.01.1002" and [w.id for w in found] == ["w-53.71.01.1002-0"]


# The cases part --------------------------------------------------------------------------------
class RefusingCases:
    """A cases service that answers, but refuses every complaint with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.posts: Counter[str] = Counter()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/health/live":
            return httpx.Response(200, json={"status": "ok"})
        self.posts[request.url.path] += 1
        if request.url.path == "/v1/cases" and self.status == 422:
            detail = [{"loc": ["body", "worker_id"], "msg": "no registered worker with this id"}]
            return httpx.Response(422, json={"detail": detail})
        return httpx.Response(self.status, json={"detail": "refused"})


@pytest.mark.parametrize("status", [422, 403])
async def test_a_cases_service_refusing_every_complaint_ends_the_cases_part_in_one_line(status):
    cases = RefusingCases(status)
    sleeps: list[float] = []
    result = await _run(
        Registry(),
        workers=60,
        sleeps=sleeps,
        cases_url="http://cases",
        tokens=lambda role, area: f"{role}@{area}",
        cases_transport=httpx.MockTransport(cases.handle),
    )

    assert result.aborted is None and result.cases is not None
    complaints = result.calls["case"]
    assert complaints > 0 and result.cases.opened == 0
    assert result.refused[f"case {status}"] == complaints  # each counted
    # Not sent again (a 4xx is an answer), but for one shared wait for the replica on a 422.
    replica_polls = round(REPLICA_WAIT_SECONDS / REPLICA_POLL_SECONDS) if status == 422 else 0
    assert cases.posts["/v1/cases"] == complaints + replica_polls
    assert sum(sleeps) <= REPLICA_WAIT_SECONDS
    assert not cases.posts["/v1/reports"]  # the cases part ended there
    why = f"every complaint was refused ({complaints} answered {status})"
    if status == 422:
        why += "; it did not learn the run's workers within 60 s"
    assert len(result.cases.summary()) == 1
    line = result.cases.summary()[0]
    assert line.startswith(f"  cases      not simulated at http://cases: {why}")


@pytest.mark.parametrize("village_workers", [1, 2, 3])
@pytest.mark.parametrize("regency_workers", [4, 10, 40, 300])
@pytest.mark.parametrize("regency_cases", [0, 3, 12, 30])
def test_the_cluster_is_large_enough_for_its_village_to_surge(
    village_workers, regency_workers, regency_cases
):
    from services.alerts.settings import RuleSettings

    rule = RuleSettings()
    assert (
        rule.village_surge_factor,
        rule.village_surge_window_days,
    ) == (SURGE_FACTOR, SURGE_WINDOW_DAYS)
    village_cases = min(1, regency_cases)
    size = surge_size(
        village_workers=village_workers,
        regency_workers=regency_workers,
        village_cases=village_cases,
        regency_cases=regency_cases,
    )
    cases, regency = village_cases + size, regency_cases + size
    surges = cases >= rule.village_surge_min_cases and cases * regency_workers >= (
        rule.village_surge_factor * regency * village_workers
    )
    possible = regency_workers > SURGE_FACTOR * village_workers
    needed_too_many = size == MAX_CLUSTER
    assert surges or not possible or needed_too_many
    assert CLUSTER <= size <= MAX_CLUSTER


def test_progress_goes_on_during_the_cases_part():
    stream = io.StringIO()
    progress = Progress(stream, total=10, every=0)
    result = SimulationResult(workers=10, finished=10)
    result.cases = CaseCounts(url="http://cases", opened=4, waiting=False)
    progress(result)
    result.cases.waiting = True
    progress(result)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("simulate: 10/10 workers (100%)")
    assert lines[0].endswith("; cases: 4 opened, 0 reports")
    assert lines[1].endswith("; cases: waiting for the cases service to learn the run's workers")
