"""Cases in ``pantau simulate``: complaints about the simulated workers, through the cases API.

Once the workers' lives are recorded in the registry (and so have reached the cases service's
replica through ``registry.worker.v1``), some of them complain, on a day between their
departure (or registration) and today: a case is opened by the officer of their village (some
by the regency), in the real categories weighted as national complaint statistics, with GBV
types where there was violence (violence, sexual harassment, trafficking; those start at the
province), the survivor's consent and a requested female case worker for most GBV cases. Then,
each as the officer of the level that handles the case at that moment: documents completed,
assessment, a case plan, services, referrals (with consent), escalations (one or two levels,
by hand; the automatic one is the alerts service's), closure (resolved, withdrawn, or on an
ended deadline clock), and a few reopenings. Some cases are about people never registered
(village and sex only). A few reports come from workers' families without an account and are
triaged by the officer who finds them in the list of untriaged reports: confirmed, merged into
an open case of the village, or rejected. Last, a cluster: several people of one village complain
this month of the same fraud, one entered with its documents incomplete nearly 30 days ago, none
assigned yet (what the alerts service watches for: a village's surge, a deadline near, cases
waiting for a case worker). The cluster is as large as the village needs to stand out against its
regency's other complaints this month (:func:`surge_size`), so ``village_surge`` fires at any
run size once the regency has four of the run's workers.

A complaint refused is not sent again (a 4xx is an answer), except while the cases service's
replica has not yet learnt the run's workers: complaints about them then wait, at most
:data:`REPLICA_WAIT_SECONDS` in all for the run. When every complaint is refused, the cases part
ends there with one line saying why.

Every call goes through the public HTTP API (tokens are minted for each officer, as ``pantau
token`` would) and every write carries an ``Idempotency-Key`` and is retried under it, except
reports, which take none (their receipt is never stored). The public report channel is limited
per address (10 a minute by default), so a run sends at most :data:`MAX_REPORTS`, and stops
sending them, without failing, if the service keeps answering 429. The rates are constants
below, in one place.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pantau.simulate import _Writer

# Rates ------------------------------------------------------------------------------------------
CASE_SHARE = 0.10  # registered workers who complain
UNREGISTERED_SHARE = 0.15  # cases about people never registered, per case of a registered one
REPORT_SHARE = 0.04  # reports by families, per worker
MAX_REPORTS = 8  # per run: the public channel allows 10 a minute per address by default
CLUSTER = 3  # complaints from one village this month (a surge: at least 3 cases in 30 days)
MAX_CLUSTER = 12  # the most complaints the cluster grows to, to stand out in a busy regency
SURGE_FACTOR = 3  # the alerts service's village_surge_factor (default)
SURGE_WINDOW_DAYS = 30  # and its village_surge_window_days
ESCALATION_SHARE = 0.25
REFERRAL_SHARE = 0.30
REOPEN_SHARE = 0.05
REGENCY_INTAKE_SHARE = 0.30  # opened at the regency's one-roof service (LTSA), not the village
# National complaint statistics (BP2MI/KP2MI), roughly; fee problems added.
CATEGORIES = [
    ("repatriation", 24),
    ("unpaid_wages", 13),
    ("deportation", 7),
    ("failed_to_depart", 7),
    ("work_not_as_contracted", 7),
    ("job_offer_fraud", 5),
    ("died_abroad", 5),
    ("sick", 5),
    ("employer_violence", 5),
    ("trafficking", 4),
    ("lost_contact", 4),
    ("illegal_fee", 4),
    ("social_security", 3),
    ("debt_bondage", 2),
    ("mental_illness", 2),
    ("job_information_manipulation", 2),
    ("sexual_harassment", 2),
    ("pregnancy", 1),
]
# Violence is a second axis: besides the categories below, a share of other complaints by women
# hide abuse that comes out at intake (GBVIMS records the type whatever the category).
HIDDEN_ABUSE_SHARE = 0.10
HIDDEN_ABUSE = ["psychological_abuse", "denial_of_resources", "physical_assault"]
GBV_OF = {  # category → (share with a GBV type, the types drawn)
    "employer_violence": (0.8, ["physical_assault", "psychological_abuse", "denial_of_resources"]),
    "sexual_harassment": (1.0, ["sexual_assault", "rape"]),
    "trafficking": (0.5, ["sexual_assault", "forced_marriage", "psychological_abuse"]),
    "debt_bondage": (0.3, ["denial_of_resources", "psychological_abuse"]),
}
SERVICES_OF = {
    "repatriation": ["repatriation", "reintegration"],
    "deportation": ["repatriation", "reintegration"],
    "unpaid_wages": ["agency_clarification", "mediation", "legal_assistance"],
    "illegal_fee": ["agency_clarification", "fee_refund"],
    "debt_bondage": ["legal_assistance", "debt_transfer"],
    "sick": ["medical", "insurance_claim"],
    "died_abroad": ["repatriation", "insurance_claim"],
    "social_security": ["insurance_claim"],
    "mental_illness": ["psychosocial", "medical"],
    "employer_violence": ["medical", "psychosocial", "legal_assistance"],
    "sexual_harassment": ["medical", "psychosocial", "legal_assistance"],
    "trafficking": ["legal_assistance", "psychosocial", "repatriation"],
}
CHANNELS = [("walk_in", 45), ("phone", 20), ("messaging", 15), ("organisation", 8), ("embassy", 7)]
CHANNELS += [("outreach", 5)]
WHAT_HAPPENED = {
    "repatriation": "Pekerja ingin dipulangkan; majikan menolak melepasnya.",
    "unpaid_wages": "Gaji belum dibayar beberapa bulan.",
    "employer_violence": "Pekerja mengalami kekerasan oleh majikan.",
    "sexual_harassment": "Pekerja mengalami pelecehan seksual di tempat kerja.",
    "trafficking": "Direkrut calo dengan janji palsu; dokumen ditahan.",
}
REFERRAL_TO = {
    "trafficking": "police",
    "employer_violence": "uptd_ppa",
    "sexual_harassment": "uptd_ppa",
    "unpaid_wages": "lbh",
    "debt_bondage": "lbh",
}
OFFICER_OF_LEVEL = {
    "village": ("village-officer", 4),
    "regency": ("regency-officer", 2),
    "province": ("province-officer", 1),
}
DEADLINE_CLOSURE_DAYS = 31  # the documents clock (30 days from the day after opening) has ended
# Registrations reach the cases service's replica within seconds; complaints about workers it
# does not know yet wait this long in all for a run, then are refused like any other.
REPLICA_WAIT_SECONDS = 60.0
REPLICA_POLL_SECONDS = 0.5

Tokens = Callable[[str, str], str]  # (role, area) -> bearer token


@dataclass(frozen=True)
class Worker:
    """A simulated worker as the registry recorded them (what a complaint is about)."""

    id: str
    village: str
    sex: str
    registered_on: date
    departed_on: date | None
    procedural: bool


@dataclass
class CaseCounts:
    """What the cases part of a run did."""

    url: str
    opened: int = 0
    unregistered: int = 0
    gbv: int = 0
    escalations: int = 0
    referrals: int = 0
    assigned: int = 0
    closed: Counter[str] = field(default_factory=Counter)
    reopened: int = 0
    reports: int = 0
    triaged: Counter[str] = field(default_factory=Counter)
    cluster: int = 0  # complaints of the month's cluster in one village
    skipped: str | None = None  # why no (more) cases or reports were simulated
    waiting: bool = False  # for the cases service's replica to know the run's workers

    def summary(self) -> list[str]:
        if self.skipped and not self.opened and not self.reports:
            return [f"  cases      not simulated at {self.url}: {self.skipped}"]
        closed = ", ".join(f"{reason} {n}" for reason, n in sorted(self.closed.items()))
        triaged = ", ".join(f"{how} {n}" for how, n in sorted(self.triaged.items()))
        lines = [
            f"  cases      {self.opened:>7}  against {self.url} ({self.unregistered} for people "
            f"never registered, {self.gbv} with a GBV type; {self.escalations} escalations, "
            f"{self.referrals} referrals, {self.assigned} assigned; closed: {closed or 'none'}; "
            f"{self.reopened} reopened)",
            f"  reports    {self.reports:>7}  by families, without an account (triaged: "
            f"{triaged or 'none'})",
            f"  cluster    {self.cluster:>7}  complaints from one village this month, not yet "
            "assigned",
        ]
        if self.skipped:
            lines.append(f"  cases stopped early: {self.skipped}")
        return lines


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def _officer(tokens: Tokens, level: str, village: str) -> dict[str, str]:
    """The token of the office handling a case of ``village`` at ``level``."""
    if level == "national":
        return {"Authorization": f"Bearer {tokens('ministry', 'ID')}"}
    role, parts = OFFICER_OF_LEVEL[level]
    return {"Authorization": f"Bearer {tokens(role, '.'.join(village.split('.')[:parts]))}"}


@dataclass
class _Case:
    """A case being recorded: its id, where it is handled now, its day cursor."""

    id: str
    village: str
    level: str
    category: str
    on: date  # the last day something happened to it
    open: bool = True


class CaseSimulation:
    """Draws and records the cases of a run (deterministic for a seeded ``rng``)."""

    def __init__(
        self,
        writer: _Writer,
        tokens: Tokens,
        rng: random.Random,
        today: date,
        counts: CaseCounts,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.writer, self.tokens, self.rng, self.today = writer, tokens, rng, today
        self.counts, self.sleep = counts, sleep
        self.cases: list[_Case] = []
        self.case_workers: dict[str, list[str]] = {}  # province → subjects
        self.replica_waited = 0.0  # seconds complaints waited for the replica, whole run
        self.refusals: Counter[int] = Counter()  # complaints refused, by status
        self.unknown_worker = False  # a refusal said the service does not know a worker
        # Verified cases opened within the surge window, by village and by regency.
        self.recent: Counter[str] = Counter()

    # -- drawing -----------------------------------------------------------------------------
    def _day_after(self, day: date, low: int, high: int) -> date:
        return min(self.today, day + timedelta(days=self.rng.randint(low, high)))

    def _gbv(self, category: str, sex: str) -> str | None:
        rng = self.rng
        share, types = GBV_OF.get(category, (0.0, []))
        if rng.random() < share:
            return rng.choice(types)
        if sex == "female" and rng.random() < HIDDEN_ABUSE_SHARE:
            return rng.choice(HIDDEN_ABUSE)
        return None

    def _intake(self, category: str, sex: str) -> dict[str, Any]:
        rng = self.rng
        gbv = self._gbv(category, sex)
        consent = rng.random() < 0.7
        return {
            "category": category,
            "gbv_type": gbv,
            "channel": _pick(rng, CHANNELS),
            "narrative": WHAT_HAPPENED.get(category, "Pengaduan pekerja migran: " + category),
            "consent": {"referral": consent, "sharing": consent and rng.random() < 0.6},
            "requested_case_worker_sex": "female" if gbv and rng.random() < 0.8 else None,
            "documents_complete": rng.random() < 0.5,
        }

    # -- recording ---------------------------------------------------------------------------
    async def _step(
        self, case: _Case, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        answer = await self.writer.post(
            "case step",
            f"/v1/cases/{case.id}/{path}",
            body,
            headers=headers or _officer(self.tokens, case.level, case.village),
        )
        if answer is not None:
            case.level = answer.get("level", case.level)
            case.open = answer.get("status") != "closed"
        return answer

    async def _open(self, body: dict[str, Any], village: str, opened_on: date) -> _Case | None:
        """Open a case, waiting for the worker's registration to reach the replica."""
        level = "regency" if self.rng.random() < REGENCY_INTAKE_SHARE else "village"
        headers = _officer(self.tokens, level, village)
        body = {**body, "opened_on": opened_on.isoformat()}
        self.writer.result.calls["case"] += 1
        while True:
            response = await self.writer.request("POST", "/v1/cases", body, headers=headers)
            unknown = response.status_code == 422 and "worker_id" in response.text
            if not unknown or self.replica_waited >= REPLICA_WAIT_SECONDS:
                break
            self.counts.waiting = True
            await self.sleep(REPLICA_POLL_SECONDS)
            self.replica_waited += REPLICA_POLL_SECONDS
        self.counts.waiting = False
        if response.status_code != 201:
            self.writer.result.refused[f"case {response.status_code}"] += 1
            self.refusals[response.status_code] += 1
            self.unknown_worker |= unknown
            return None
        self.writer.result.done["case"] += 1
        answer = response.json()
        self.counts.opened += 1
        self.counted(village, opened_on)
        self.counts.gbv += body.get("gbv_type") is not None
        case = _Case(answer["id"], village, answer["level"], body["category"], opened_on)
        self.cases.append(case)
        return case

    def counted(self, village: str, opened_on: date) -> None:
        """A verified case of ``village`` opened on ``opened_on``, as the surge rule counts it."""
        if (self.today - opened_on).days < SURGE_WINDOW_DAYS:
            self.recent[village] += 1
            self.recent[".".join(village.split(".")[:2])] += 1

    def refused_all(self) -> str:
        """Why every complaint was refused, in one line."""
        statuses = ", ".join(f"{n} answered {code}" for code, n in sorted(self.refusals.items()))
        why = f"every complaint was refused ({statuses or 'no answer'})"
        if self.unknown_worker:
            why += (
                f"; it did not learn the run's workers within {REPLICA_WAIT_SECONDS:.0f} s: is it "
                "fed by the broker of the registry this run wrote to?"
            )
        return why

    async def _case_workers(self, province: str) -> list[str]:
        """Two case workers of the province (a woman and a man), added by its supervisor."""
        if province not in self.case_workers:
            supervisor = {"Authorization": f"Bearer {self.tokens('supervisor', province)}"}
            subjects = []
            for sex in ("female", "male"):
                subject = f"sim-cw-{province}-{sex}"
                await self.writer.post(
                    "case worker",
                    "/v1/case-workers",
                    {"subject": subject, "sex": sex, "area": province},
                    headers=supervisor,
                    ok=(409,),  # added by an earlier run
                )
                subjects.append(subject)
            self.case_workers[province] = subjects
        return self.case_workers[province]

    async def _life(self, case: _Case, intake: dict[str, Any]) -> None:
        """What happens to a case after intake, as the officers handling it record it."""
        rng = self.rng
        if not intake["documents_complete"] and rng.random() < 0.75:
            case.on = self._day_after(case.on, 2, 25)
            await self._step(
                case, "actions", {"action": "documents_completed", "taken_on": _iso(case.on)}
            )
        elif (
            not intake["documents_complete"]
            and case.on + timedelta(days=DEADLINE_CLOSURE_DAYS) <= self.today
            and rng.random() < 0.5
        ):
            closed_on = self._day_after(case.on, DEADLINE_CLOSURE_DAYS, DEADLINE_CLOSURE_DAYS + 30)
            if await self._close(case, "documents_incomplete", closed_on):
                return
        if intake["gbv_type"] is not None:
            province = case.village[:2]
            woman, man = await self._case_workers(province)
            assignee = woman if intake["requested_case_worker_sex"] == "female" else man
            if await self._step(case, "assignment", {"assignee": assignee}):
                self.counts.assigned += 1
        for _ in range(rng.choice([1, 1, 2]) if rng.random() < ESCALATION_SHARE else 0):
            reason = rng.choice(["no_progress", "beyond_level_authority", "needs_action_abroad"])
            if case.level != "national" and await self._step(
                case, "escalation", {"reason": reason}
            ):
                self.counts.escalations += 1
        if rng.random() < REFERRAL_SHARE and intake["consent"]["referral"]:
            to = REFERRAL_TO.get(case.category, "lbh")
            to = f"{to}.{case.village[:2]}" if to == "uptd_ppa" else to
            if await self._step(case, "referral", {"to": to}):
                self.counts.referrals += 1
        if rng.random() < 0.8:
            await self._workflow(case, intake)

    async def _workflow(self, case: _Case, intake: dict[str, Any]) -> None:
        rng = self.rng
        for action in ("assessment", "case_plan"):
            case.on = self._day_after(case.on, 1, 14)
            if not await self._step(case, "actions", {"action": action, "taken_on": _iso(case.on)}):
                return
        services = SERVICES_OF.get(case.category, ["agency_clarification"])
        for service in rng.sample(services, k=rng.randint(1, len(services))):
            case.on = self._day_after(case.on, 1, 30)
            await self._step(case, "actions", {"action": service, "taken_on": _iso(case.on)})
        if (self.today - case.on).days < 30 or rng.random() < 0.2:
            return  # still being served
        case.on = self._day_after(case.on, 5, 60)
        await self._step(
            case, "actions", {"action": "services_completed", "taken_on": _iso(case.on)}
        )
        reason = "withdrawn" if rng.random() < 0.07 else "resolved"
        if await self._close(case, reason, self._day_after(case.on, 0, 20)) and (
            rng.random() < REOPEN_SHARE
        ):
            case.on = self._day_after(case.on, 10, 90)
            reopened = await self._step(
                case, "reopening", {"reason": "problem_recurred", "reopened_on": _iso(case.on)}
            )
            self.counts.reopened += reopened is not None

    async def _close(self, case: _Case, reason: str, on: date) -> bool:
        case.on = on
        closed = await self._step(case, "closure", {"reason": reason, "closed_on": _iso(on)})
        if closed is not None:
            self.counts.closed[reason] += 1
        return closed is not None

    async def complaint(self, worker: Worker) -> None:
        """A registered worker's complaint, from intake to wherever it has got today."""
        category = _pick(self.rng, CATEGORIES)
        intake = self._intake(category, worker.sex)
        start = worker.departed_on or worker.registered_on
        opened_on = self._day_after(start, 30, 900)
        case = await self._open({**intake, "worker_id": worker.id}, worker.village, opened_on)
        if case is not None:
            await self._life(case, intake)

    async def cluster(self, village: str, workers: list[Worker], size: int = CLUSTER) -> None:
        """``size`` people of one village complain this month of the same job-offer fraud: its
        registered ``workers`` first, then neighbours who left without registering. The first
        was entered 27 days ago with its documents incomplete (its 30-day clock ends within
        days); nobody has been assigned yet."""
        for n in range(size):
            sex = workers[n].sex if n < len(workers) else "female"
            intake = self._intake("job_offer_fraud", sex)
            who = (
                {"worker_id": workers[n].id}
                if n < len(workers)
                else {"village": village, "sex": sex}
            )
            intake.update(who, documents_complete=n > 0)
            opened_on = self.today - timedelta(days=27 if n == 0 else self.rng.randint(1, 20))
            if await self._open(intake, village, opened_on) is not None:
                self.counts.cluster += 1

    async def unregistered(self, village: str) -> None:
        """A complaint about someone never registered: only a village and a sex."""
        category = _pick(self.rng, CATEGORIES)
        sex = "female" if self.rng.random() < 0.65 else "male"
        intake = self._intake(category, sex)
        opened_on = self._day_after(self.today - timedelta(days=1200), 0, 1200)
        body = {**intake, "village": village, "sex": sex}
        case = await self._open(body, village, opened_on)
        if case is not None:
            self.counts.unregistered += 1
            await self._life(case, intake)

    async def report(self, worker: Worker) -> bool:
        """A family's report about a worker, then its triage; False once the channel is shut."""
        rng = self.rng
        category = _pick(rng, CATEGORIES)
        gbv = self._gbv(category, worker.sex)
        regency = worker.village.rsplit(".", 2)[0]
        named = {"regency": regency} if rng.random() < 0.3 else {"village": worker.village}
        body = {
            **named,
            "category": category,
            "sex": worker.sex,
            "narrative": "Keluarga melaporkan: " + WHAT_HAPPENED.get(category, category),
            "gbv_type": gbv,
            "contact": "hubungi keluarga lewat kantor desa",
        }
        self.writer.result.calls["report"] += 1
        try:
            response = await self.writer.request("POST", "/v1/reports", body, idempotent=False)
        except RuntimeError as exc:  # still 429 after every retry: the channel is shut for now
            if "HTTP 429" not in str(exc):
                raise
            self.counts.skipped = f"reports: {exc}"
            return False
        if response.status_code != 202:
            self.writer.result.refused[f"report {response.status_code}"] += 1
            return True
        self.writer.result.done["report"] += 1
        self.counts.reports += 1
        await self._triage(worker, body, gbv)
        return True

    async def _triage(self, worker: Worker, report: dict[str, Any], gbv: str | None) -> None:
        """The officer who sees untriaged reports of the area takes the newest one."""
        rng = self.rng
        area = report.get("village") or report["regency"]
        province = {"Authorization": f"Bearer {self.tokens('province-officer', area[:2])}"}
        listed = await self.writer.request(
            "GET",
            "/v1/cases",
            None,
            headers=province,
            params={"verified": "false", "status": "new", "area": area},
        )
        items = listed.json().get("items", []) if listed.status_code == 200 else []
        if not items:
            return
        found = _Case(
            items[0]["id"], worker.village, items[0]["level"], report["category"], self.today
        )
        headers = _officer(self.tokens, found.level, worker.village)
        targets = [c for c in self.cases if c.open and c.village == worker.village]
        draw = rng.random()
        if draw < 0.15 and targets and found.level == "village":
            how = "merged"
            answer = await self._step(found, "merge", {"into": targets[0].id}, headers)
        elif draw < 0.35:
            how = "rejected"
            reason = rng.choice(
                ["false_report", "insufficient_information", "not_a_migrant_worker_matter"]
            )
            answer = await self._step(found, "rejection", {"reason": reason}, headers)
        else:
            how = "confirmed"
            facts = {"category": report["category"], "gbv_type": gbv, "worker_id": worker.id}
            answer = await self._step(found, "confirmation", facts, headers)
            if answer is not None:
                self.counted(worker.village, self.today)  # the worker named: their village
        if answer is not None:
            self.counts.triaged[how] += 1


def _iso(day: date) -> str:
    return day.isoformat()


async def simulate_cases(
    writer: _Writer,
    tokens: Tokens,
    workers: list[Worker],
    rng: random.Random,
    today: date,
    counts: CaseCounts,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Record the cases and reports of a run's ``workers`` (see the module docstring)."""
    simulation = CaseSimulation(writer, tokens, rng, today, counts, sleep)
    complainants = [w for w in workers if rng.random() < CASE_SHARE]
    for worker in complainants:
        await simulation.complaint(worker)
        if rng.random() < UNREGISTERED_SHARE:
            await simulation.unregistered(worker.village)
    if complainants and not counts.opened:
        counts.skipped = simulation.refused_all()
        return
    reporters = [w for w in workers if rng.random() < REPORT_SHARE][:MAX_REPORTS]
    for worker in reporters:
        if not await simulation.report(worker):
            break
    if workers:
        village, found = cluster_of(workers)
        regency = ".".join(village.split(".")[:2])
        size = surge_size(
            village_workers=sum(w.village == village for w in workers),
            regency_workers=sum(w.village.startswith(regency + ".") for w in workers),
            village_cases=simulation.recent[village],
            regency_cases=simulation.recent[regency],
        )
        await simulation.cluster(village, found, size)


def surge_size(
    *, village_workers: int, regency_workers: int, village_cases: int, regency_cases: int
) -> int:
    """How many complaints the cluster needs for its village to surge (the alerts service's
    ``village_surge`` with its defaults): its cases per registered worker over the window at least
    :data:`SURGE_FACTOR` times its regency's, counting the cases already opened in the window
    there. At least :data:`CLUSTER`, at most :data:`MAX_CLUSTER` (when no size would do, as in a
    regency with fewer than four of the run's workers, :data:`CLUSTER`)."""
    w, r = max(village_workers, 1), max(regency_workers, 1)
    # (village_cases + n) * r >= K * (regency_cases + n) * w, for the smallest n
    gain = r - SURGE_FACTOR * w
    if gain <= 0:
        return CLUSTER
    needed = SURGE_FACTOR * regency_cases * w - village_cases * r
    return min(MAX_CLUSTER, max(CLUSTER, -(-needed // gain)))


def cluster_of(workers: list[Worker]) -> tuple[str, list[Worker]]:
    """A village of the regency with the most of the run's workers, the one with the fewest of
    them (where a few complaints stand out most against the regency), and its workers (at most
    :data:`MAX_CLUSTER`)."""
    by_village: dict[str, list[Worker]] = {}
    for worker in workers:
        by_village.setdefault(worker.village, []).append(worker)
    regencies = Counter(worker.village.rsplit(".", 2)[0] for worker in workers)
    busiest = max(regencies, key=lambda code: (regencies[code], code))
    village, found = min(
        ((v, w) for v, w in by_village.items() if v.rsplit(".", 2)[0] == busiest),
        key=lambda item: (len(item[1]), item[0]),
    )
    return village, found[:MAX_CLUSTER]
