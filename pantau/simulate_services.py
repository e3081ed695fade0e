"""Services in ``pantau simulate``: what villages and one-roof centres did for the simulated
workers and their families, recorded through the registry's API.

Once the workers' lives are recorded, the services around them are, in the order they were
delivered, each by the officer who would record it (a token per officer, as ``pantau token``
would make):

- **before a departure**: the village's information meeting on safe migration, a session each
  semester (the workers of the village leaving in the months after it take part, and some who
  registered and have not left); the
  regency's one-roof centre (LTSA) pre-departure training, a session in the month before
  (every worker of the regency leaving then); help with documents, financial literacy and rights
  training at the village, one by one. Workers who left outside the procedure got none of it.
- **while a worker is abroad**: community parenting (*rumah pintar*) for their children, a
  village session every quarter; remittance management for the spouse.
- **after a return**: the LTSA's reintegration training (a session each semester, for the
  regency's recent returnees), cooperative membership (some with their spouse),
  remittance management, and psychosocial support from the regency's office for those sent home
  early. Some take part only after six months, or never, as in life.

Sessions go through ``POST /v1/service-sessions`` (one request, one delivery per participant),
the rest through ``POST /v1/workers/{id}/services``; every write carries an
``Idempotency-Key`` and is retried under it. The rates are constants below, in one place.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pantau.simulate import _Writer
    from pantau.simulate_cases import Tokens

# Rates ------------------------------------------------------------------------------------------
# What a village does, in a village with a programme (DESBUMI, Desmigratif); elsewhere a village
# does a fraction of it (ELSEWHERE), so that a regency sees which of its villages prepare their
# workers. The regency's centre (LTSA) serves every village alike.
INFORMATION_SHARE = 0.85  # departures whose village held an information meeting before
STAYING_SHARE = 0.50  # registered workers not (yet) gone who came to one all the same
INDIVIDUAL_SHARES = {  # departures prepared one by one at the village, by kind
    "document_assistance": 0.45,
    "financial_literacy": 0.35,
    "rights_training": 0.35,
}
PARENTING_SHARE = 0.70  # children in community parenting while their parent is abroad
REMITTANCE_SPOUSE_SHARE = 0.25  # spouses of workers abroad coached on remittances
COOPERATIVE_SHARE = 0.30  # returnees joining a cooperative (a third with their spouse)
REMITTANCE_SHARE = 0.25  # returnees coached on remittance management
ELSEWHERE = 0.35  # the village rates above, in a village without a programme
LTSA_TRAINING_SHARE = 0.25  # departures trained at the regency's LTSA before
REINTEGRATION_SHARE = 0.40  # returns followed by the LTSA's reintegration training
LATE_SHARE = 0.10  # returnees whose only programme came after six months
PSYCHOSOCIAL_SHARE = 0.60  # of those sent home early: psychosocial support
CHILDREN_SHARE = 0.50  # workers with children at home
MARRIED_SHARE = 0.55
EARLY_RETURN_DAYS = 600  # a return before this many days abroad: sent home early


@dataclass
class Life:
    """A simulated worker as the registry recorded them: enough to place their services."""

    id: str
    village: str
    sex: str
    born: date
    registered_on: date
    procedural: bool
    placements: list[list[date | None]] = field(default_factory=list)  # [departed, returned]
    programme: bool = False  # the village has a programme (DESBUMI, Desmigratif)

    def village_does(self, rng: random.Random, share: float) -> bool:
        """Whether the worker's village did something it does at ``share`` with a programme."""
        return rng.random() < (share if self.programme else share * ELSEWHERE)

    @property
    def regency(self) -> str:
        return self.village[:5]


@dataclass(frozen=True)
class _Delivery:
    """One delivery to record: to the worker, or (``beneficiary``) to a family member."""

    day: date
    kind: str
    by: str  # village, ltsa, regency_office
    worker: Life
    beneficiary: dict[str, Any] | None = None
    session: bool = False  # part of a session (grouped with others of the same day and place)

    @property
    def area(self) -> str:
        return self.worker.village if self.by == "village" else self.worker.regency


@dataclass
class ServiceCounts:
    """What the services part of a run did."""

    deliveries: Counter[str] = field(default_factory=Counter)  # by kind
    sessions: int = 0
    in_sessions: int = 0
    to_family: int = 0
    skipped: str | None = None

    def summary(self) -> list[str]:
        if self.skipped and not self.deliveries:
            return [f"  services   not simulated: {self.skipped}"]
        total = sum(self.deliveries.values())
        kinds = ", ".join(f"{k} {n}" for k, n in self.deliveries.most_common())
        lines = [
            f"  services   {total:>7}  ({self.in_sessions} in {self.sessions} sessions, "
            f"{self.to_family} to family members; {kinds or 'none'})"
        ]
        if self.skipped:
            lines.append(f"  services stopped early: {self.skipped}")
        return lines


class _Family:
    """A worker's children and spouse, drawn once (the same people come back)."""

    def __init__(self, rng: random.Random, life: Life) -> None:
        first = life.placements[0][0] if life.placements else life.born + timedelta(days=25 * 365)
        assert first is not None
        self.children: list[dict[str, Any]] = []
        if rng.random() < CHILDREN_SHARE:
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                born = max(life.born.year + 18, first.year - rng.randint(1, 12))
                if born <= first.year:
                    child = {
                        "relation": "child",
                        "sex": rng.choice(("female", "male")),
                        "birth_year": born,
                    }
                    twins = sum(c | {"member": 1} == child | {"member": 1} for c in self.children)
                    self.children.append(child | ({"member": twins + 1} if twins else {}))
        self.spouse: dict[str, Any] | None = None
        if rng.random() < MARRIED_SHARE:
            sex = "male" if life.sex == "female" else "female"
            year = life.born.year + rng.randint(-6, 6)
            self.spouse = {"relation": "spouse", "sex": sex, "birth_year": year}


def _month_day(day: date, n: int) -> date:
    return date(day.year, day.month, n)


def _period_day(day: date, months: int, n: int) -> date:
    """Day ``n`` of the first month of ``day``'s period of ``months`` months (a village meets
    once a quarter or a semester)."""
    return date(day.year, (day.month - 1) // months * months + 1, n)


def _next_period(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, day.day)


def _period_on_or_after(day: date, months: int, n: int) -> date:
    """The first day ``n`` of a period's first month on or after ``day``."""
    found = _period_day(day, months, n)
    return found if found >= day else _next_period(found, months)


def _draw(rng: random.Random, lives: Iterable[Life], today: date) -> list[_Delivery]:
    """Every delivery of the run, drawn life by life (deterministic for a seeded ``rng``)."""
    out: list[_Delivery] = []
    for life in lives:
        family = _Family(rng, life)
        last_return: date | None = None
        if life.procedural and not life.placements and life.village_does(rng, STAYING_SHARE):
            # Registered, not (yet) gone: at the village's next information meeting all the same.
            meeting = _period_on_or_after(life.registered_on, 6, 12)
            out.append(
                _Delivery(meeting, "pre_departure_information", "village", life, session=True)
            )
        for departed, returned in life.placements:
            assert departed is not None
            if life.procedural:
                out += _before(rng, life, departed, last_return)
            out += _abroad(rng, life, family, departed, returned or today)
            if returned is not None:
                out += _after(rng, life, family, departed, returned)
                last_return = returned
    return [d for d in out if d.day <= today]


def _before(
    rng: random.Random, life: Life, departed: date, last_return: date | None
) -> list[_Delivery]:
    out = []
    if life.village_does(rng, INFORMATION_SHARE):
        meeting = _period_day(departed - timedelta(days=rng.randint(20, 60)), 6, 12)
        out.append(
            _Delivery(
                min(meeting, departed), "pre_departure_information", "village", life, session=True
            )
        )
    if rng.random() < LTSA_TRAINING_SHARE:
        training = _month_day(departed - timedelta(days=25), 20)
        out.append(_Delivery(training, "pre_departure_training", "ltsa", life, session=True))
    for kind, share in INDIVIDUAL_SHARES.items():
        if life.village_does(rng, share):
            out.append(
                _Delivery(departed - timedelta(days=rng.randint(5, 90)), kind, "village", life)
            )
    # A service only prepares a departure after the return before it.
    return [d for d in out if last_return is None or d.day > last_return]


def _abroad(
    rng: random.Random, life: Life, family: _Family, departed: date, until: date
) -> list[_Delivery]:
    out = []
    for child in family.children:
        if not life.village_does(rng, PARENTING_SHARE):
            continue
        quarters = []
        day = _period_on_or_after(departed + timedelta(days=1), 3, 5)
        while day <= until:
            quarters.append(day)
            day = _next_period(day, 3)
        for on in sorted(rng.sample(quarters, min(len(quarters), rng.randint(1, 4)))):
            out.append(_Delivery(on, "community_parenting", "village", life, child, session=True))
    if family.spouse is not None and life.village_does(rng, REMITTANCE_SPOUSE_SHARE):
        day = departed + timedelta(days=rng.randint(60, 300))
        if day < until:
            out.append(_Delivery(day, "remittance_management", "village", life, family.spouse))
    return out


def _after(
    rng: random.Random, life: Life, family: _Family, departed: date, returned: date
) -> list[_Delivery]:
    out = []
    late = rng.random() < LATE_SHARE
    shift = timedelta(days=rng.randint(200, 420)) if late else timedelta(0)
    if late or rng.random() < REINTEGRATION_SHARE:
        training = _period_on_or_after(returned + timedelta(days=14) + shift, 6, 15)
        out.append(_Delivery(training, "reintegration_training", "ltsa", life, session=True))
    if life.village_does(rng, COOPERATIVE_SHARE):
        day = returned + timedelta(days=rng.randint(20, 170)) + shift
        out.append(_Delivery(day, "cooperative", "village", life))
        if family.spouse is not None and rng.random() < 0.35:
            out.append(_Delivery(day, "cooperative", "village", life, family.spouse))
    if life.village_does(rng, REMITTANCE_SHARE):
        day = returned + timedelta(days=rng.randint(10, 150)) + shift
        out.append(_Delivery(day, "remittance_management", "village", life))
    early = (returned - departed).days < EARLY_RETURN_DAYS
    if early and rng.random() < PSYCHOSOCIAL_SHARE:
        day = returned + timedelta(days=rng.randint(3, 45))
        out.append(_Delivery(day, "psychosocial_support", "regency_office", life))
    return out


async def simulate_services(
    writer: _Writer,
    tokens: Tokens,
    lives: list[Life],
    rng: random.Random,
    today: date,
    counts: ServiceCounts,
) -> None:
    """Record the services of ``lives`` in the order they were delivered: sessions in one
    request each (grouped by day, kind and the village or centre), the rest one by one."""
    deliveries = _draw(rng, lives, today)
    sessions: dict[tuple[date, str, str, str], list[_Delivery]] = defaultdict(list)
    single: list[_Delivery] = []
    for d in deliveries:
        if d.session:
            sessions[(d.day, d.kind, d.by, d.area)].append(d)
        else:
            single.append(d)
    writes: list[tuple[date, str, list[_Delivery]]] = [
        (day, "session", members) for (day, _, _, _), members in sessions.items()
    ] + [(d.day, "single", [d]) for d in single]
    writes.sort(key=lambda w: (w[0], w[1], w[2][0].kind, w[2][0].area, w[2][0].worker.id))
    for day, how, members in writes:
        first = members[0]
        role = "village-officer" if first.by == "village" else "regency-officer"
        headers = {"Authorization": f"Bearer {tokens(role, first.area)}"}
        provider = {"village": "village", "ltsa": "ltsa", "regency_office": "regency_office"}
        body: dict[str, Any] = {
            "kind": first.kind,
            "delivered_on": day.isoformat(),
            "provider": provider[first.by],
        }
        if how == "session":
            body["participants"] = [
                {"worker_id": d.worker.id}
                | ({"beneficiary": d.beneficiary} if d.beneficiary else {})
                for d in members
            ]
            answer = await writer.post(
                "service-session", "/v1/service-sessions", body, headers=headers
            )
            if answer is not None:
                counts.sessions += 1
                counts.in_sessions += len(members)
        else:
            if first.beneficiary:
                body["beneficiary"] = first.beneficiary
            path = f"/v1/workers/{first.worker.id}/services"
            answer = await writer.post("service", path, body, headers=headers)
        if answer is not None:
            for d in members:
                counts.deliveries[d.kind] += 1
                counts.to_family += d.beneficiary is not None
