"""``pantau simulate``: drive a running system through its public HTTP APIs with realistic traffic.

Workers are registered in real villages (NTT, province ``53``, weighted as the most affected
origin), with NIKs that follow the national scheme (district code, birth date with women's day
+40, serial), then verified, placed abroad, charged fees and brought home in plausible
proportions. Nothing here reaches into a service: it is an HTTP client like any other.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from shared.areas import areas

# Shares in the national statistics (docs/domain.md): ~60% of workers are women, ~70% in NTT.
FEMALE_SHARE = {"53": 0.70}
DEFAULT_FEMALE_SHARE = 0.60
NTT_SHARE = 0.35
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


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def make_nik(district: str, birth_date: date, sex: str, serial: int) -> str:
    """A NIK as the civil registry writes it: ``PPRRDD`` + ``DDMMYY`` (+40 on the day for women)."""
    day = birth_date.day + (40 if sex == "female" else 0)
    return f"{district.replace('.', '')}{day:02d}{birth_date:%m%y}{serial:04d}"


@dataclass
class Population:
    """Villages to draw from: NTT weighted up, as in the domain's statistics."""

    rng: random.Random
    villages: list[str] = field(default_factory=list)
    ntt: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.villages = areas().villages()
        self.ntt = [v for v in self.villages if v.startswith("53.")]

    def village(self) -> str:
        pool = self.ntt if self.rng.random() < NTT_SHARE else self.villages
        return self.rng.choice(pool)

    def registration(self, village: str | None = None) -> dict[str, Any]:
        rng = self.rng
        village = village or self.village()
        female = rng.random() < FEMALE_SHARE.get(village[:2], DEFAULT_FEMALE_SHARE)
        sex = "female" if female else "male"
        birth = date(1975, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        district = village.rsplit(".", 1)[0]
        occupation = _pick(rng, OCCUPATIONS_FEMALE if female else OCCUPATIONS_MALE)
        return {
            "nik": make_nik(district, birth, sex, rng.randrange(1, 10_000)),
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
class SimulationResult:
    """What the run did, by call, and which calls were refused (status code)."""

    calls: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


async def _agencies(
    client: httpx.AsyncClient,
    call: Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any] | None]],
    rng: random.Random,
) -> list[str]:
    """Five fresh agencies when the caller may license them, else the ones already licensed."""
    run = uuid.UUID(int=rng.getrandbits(128)).hex[:8]  # licence numbers are unique per run
    created = [
        await call(
            "agency",
            "/v1/agencies",
            {"name": f"PT Simulasi Penempatan {n + 1}", "licence_no": f"SIM-{run}-{n + 1}"},
        )
        for n in range(5)
    ]
    ids = [agency["id"] for agency in created if agency]
    if ids:
        return ids
    listed = await client.get("/v1/agencies")
    if listed.status_code != 200:
        return []
    body = listed.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    return [a["id"] for a in items if a.get("status", "licensed") == "licensed"]


async def simulate(
    registry_url: str,
    token: str,
    *,
    workers: int,
    concurrency: int = 16,
    seed: int | None = None,
    on_worker: Callable[[], None] | None = None,
) -> SimulationResult:
    """Register ``workers`` workers and walk many of them through their lifecycle."""
    rng = random.Random(seed)
    population = Population(rng)
    result = SimulationResult()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=registry_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def call(name: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
            response = await client.post(path, json=body)
            result.calls[name] += 1
            if response.status_code >= 300:
                result.refused[f"{name} {response.status_code}"] += 1
                return None
            return dict(response.json())

        agencies = await _agencies(client, call, rng)

        async def one_worker() -> None:
            registration = population.registration()
            created = await call("register", "/v1/workers", registration)
            if created is not None:
                await lifecycle(created["id"], registration["occupation"])
            if on_worker:
                on_worker()

        async def lifecycle(worker: str, occupation: str | None) -> None:
            agency = rng.choice(agencies) if agencies else None
            if rng.random() < 0.3:
                await call("fee", f"/v1/workers/{worker}/fees", population.fee(agency))
            if rng.random() > 0.8:
                return
            await call("verify", f"/v1/workers/{worker}/verification", {})
            if rng.random() > 0.75:
                return
            await call(
                "depart",
                f"/v1/workers/{worker}/departures",
                population.departure(occupation, agency),
            )
            if rng.random() < 0.25:
                await call(
                    "return",
                    f"/v1/workers/{worker}/returns",
                    {"returned_on": date(2026, 6, 1).isoformat()},
                )

        semaphore = asyncio.Semaphore(concurrency)

        async def bounded() -> None:
            async with semaphore:
                await one_worker()

        await asyncio.gather(*(bounded() for _ in range(workers)))
    return result
