"""What the dashboard's browser tests share: months of traffic projected into a reporting
database, the served app, and reading the figures a page shows.

The traffic is a plausible log spread over six months (registrations, verifications,
departures, returns and fees dated in their month, services before departure and after return,
children in community parenting, cases and alerts raised then): the event
time and the business date (``registered_on``, ``departed_on``, ``charged_on``…) fall in the
same month, so the monthly series has those months whichever date it keys by.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from playwright.async_api import Page, expect

from services.reporting.api import flatten as flat_leaves
from services.reporting.app import create_app
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import PREPARED_BY_TWO, Consumed, Log

MONTHS = ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03")
VILLAGES = (
    "53.71.01.1001",
    "53.71.01.1002",
    "53.71.02.1001",
    "53.01.01.2001",
    "53.10.01.2001",
    "32.01.01.2001",
)
DRILL = ("53", "53.71", "53.71.01", "53.71.01.1001")
DYNAMIC = (
    "workers_abroad_by_destination.",
    "alerts_open_by_rule.",
    "services.",
    "services_by_provider.",
    "people_served.",
)
CASES_TOPIC = "cases.case.v1"
ALERTS_TOPIC = "alerts.alert.v1"


def monthly_traffic(seed: int = 20) -> list[Consumed]:
    """About 450 events over :data:`MONTHS`, in order per subject."""
    rng = random.Random(seed)
    log = Log()
    out: list[Consumed] = []
    registered: list[tuple[str, str]] = []
    verified: list[tuple[str, str]] = []
    abroad: list[tuple[str, str]] = []
    cases: list[tuple[str, str]] = []
    alerts: list[tuple[str, str]] = []

    def at(month: str, day: int) -> str:
        log.time = datetime.fromisoformat(f"{month}-{day:02d}T09:00:00+00:00").astimezone(UTC)
        return f"{month}-{day:02d}"

    for month in MONTHS:
        for _ in range(rng.randrange(10, 22)):
            village = rng.choice(VILLAGES)
            wid = str(uuid.uuid4())
            out.append(
                log.event(
                    "worker-registered",
                    wid,
                    village,
                    sex=rng.choices(["female", "male"], [7, 3])[0],
                    birth_year=rng.randrange(1975, 2005),
                    procedural=rng.random() < 0.8,
                    registered_on=at(month, rng.randrange(1, 8)),
                )
            )
            registered.append((wid, village))
        for wid, village in rng.sample(registered, k=len(registered) // 2):
            registered.remove((wid, village))
            out.append(log.event("worker-verified", wid, village, verified_on=at(month, 10)))
            verified.append((wid, village))
        for wid, village in rng.sample(verified, k=len(verified) * 2 // 3):
            verified.remove((wid, village))
            occupation = rng.choice(["housekeeper", "cook", "fishing_crew", "factory_worker"])
            # Prepared by the village (recorded before), or by a training entered after.
            prepared_by = rng.choice([(), ("pre_departure_information",), PREPARED_BY_TWO])
            for kind in prepared_by:
                out.append(log.service(wid, village, kind, delivered_on=at(month, 11)))
            out.append(
                log.event(
                    "fee-charged",
                    wid,
                    village,
                    fee_id=str(uuid.uuid4()),
                    component=rng.choice(["passport", "work_visa", "agency_service_fee", "other"]),
                    amount=rng.randrange(5, 80) * 100_000,
                    currency="IDR",
                    charged_on=at(month, 12),
                    agency_id=None,
                    occupation=occupation,
                    legality=rng.choice(["illegal", "warning"]),
                )
            )
            out.append(
                log.event(
                    "worker-departed",
                    wid,
                    village,
                    occupation=occupation,
                    destination_country=rng.choice(["MY", "TW", "HK", "SA", "SG"]),
                    channel="p3mi",
                    agency_id=None,
                    departed_on=at(month, 15),
                    prepared_by=list(prepared_by),
                )
            )
            if not prepared_by and rng.random() < 0.3:
                out.append(
                    log.service(
                        wid,
                        village,
                        "pre_departure_training",
                        delivered_on=at(month, 14),
                        provider="ltsa",
                        prepares_departure_on=f"{month}-15",
                        first_preparation=True,
                    )
                )
            if rng.random() < 0.4:  # a child left behind, in the village's community parenting
                out.append(
                    log.service(
                        wid,
                        village,
                        "community_parenting",
                        sex=rng.choice(["female", "male"]),
                        relation="child",
                        delivered_on=at(month, 18),
                        worker_abroad=True,
                    )
                )
            abroad.append((wid, village))
        for wid, village in rng.sample(abroad, k=len(abroad) // 5):
            abroad.remove((wid, village))
            out.append(log.returned(wid, village, returned_on=at(month, 20)))
            if rng.random() < 0.5:  # a cooperative within six months
                out.append(
                    log.service(
                        wid,
                        village,
                        "cooperative",
                        delivered_on=at(month, 24),
                        reintegrates_return_on=f"{month}-20",
                        first_reintegration=True,
                    )
                )
        for _ in range(rng.randrange(2, 6)):
            at(month, 22)
            village = rng.choice(VILLAGES)
            cid, opened = log.case(
                village,
                sex=rng.choices(["female", "male"], [7, 3])[0],
                category=rng.choice(["unpaid_wages", "trafficking", "sick", "illegal_fee"]),
                gbv_type=rng.choice([None, None, "physical_assault", "psychological_abuse"]),
                due_on=rng.choice([None, f"{month}-28", "2099-01-01"]),
            )
            out.append(opened)
            cases.append((cid, village))
        if len(cases) > 3:
            cid, village = cases.pop(rng.randrange(len(cases)))
            at(month, 25)
            out.append(
                log.event(
                    "case-closed",
                    cid,
                    village,
                    reason="resolved",
                    merged_into=None,
                    due_on=None,
                    due_clock=None,
                )
            )
        for _ in range(rng.randrange(1, 4)):
            at(month, 26)
            area = rng.choice([*VILLAGES, "53.71"])
            aid, raised = log.alert(
                area,
                severity=rng.choice(["info", "warning", "critical"]),
                rule=rng.choice(["illegal_fee", "village_surge", "case_overdue"]),
            )
            out.append(raised)
            alerts.append((aid, area))
        if len(alerts) > 2:
            aid, area = alerts.pop(0)
            at(month, 28)
            out.append(log.event("alert-resolved", aid, area))
    return out


async def project(make_database: Any, events: list[Consumed]) -> tuple[str, asyncpg.Pool]:
    """A reporting database holding ``events``' figures, with the positions a consumer that
    read them (one partition per topic) would have stored."""
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    for i in range(0, len(events), 200):
        await consume(pool, ProjectionHandler(dsn), events[i : i + 200])
    read = Counter(e.topic for e in events)
    await pool.executemany(
        "INSERT INTO consumer_positions (consumer, topic, partition, next_offset)"
        " VALUES ('reporting', $1, 0, $2)",
        list(read.items()),
    )
    return dsn, pool


async def serve_dashboard(
    serve: Any, make_database: Any, events: list[Consumed]
) -> AsyncIterator[str]:
    """The reporting app over a database holding ``events``, served without its lifespan (no
    broker: fixed figures)."""
    dsn, pool = await project(make_database, events)
    app = create_app(ReportingSettings(database_url=dsn))
    app.state.pool = pool
    try:
        yield await serve(app)
    finally:
        await pool.close()


async def shows_area(page: Page, code: str) -> None:
    """Wait until the page shows ``code``'s figures."""
    await expect(page.locator("#area-level")).to_contain_text(code)
    await expect(page.locator("#overview")).to_be_visible()
    await expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")


async def api(page: Page, base: str, path: str) -> Any:
    """The API's answer to the signed-in person of ``page`` (the session cookie goes along)."""
    response = await page.request.get(f"{base}{path}")
    assert response.ok, (path, response.status)
    return await response.json()


def flatten(tree: dict[str, Any]) -> dict[str, float]:
    """``{"workers.registered.female": 3, …}``: the CSV's and the page's figure names."""
    return dict(flat_leaves(tree))


def derived(leaves: dict[str, float], name: str) -> float | None:
    """The sums and shares of leaves the page shows (the page's tables.js DERIVED), from flat
    leaves; None for a share with nothing to divide."""

    def total(prefix: str, suffix: str = "") -> float:
        return sum(v for k, v in leaves.items() if k.startswith(prefix) and k.endswith(suffix))

    if name in ("registered.female", "registered.male"):
        return total("workers.", "." + name.split(".")[1])
    if name in ("non_procedural.female", "non_procedural.male"):
        return total("workers_non_procedural.", "." + name.split(".")[1])
    if name == "non_procedural_abroad":
        return total("workers_non_procedural.departed.")
    if name == "alerts_open":
        return total("alerts_open.")
    shares = {"departures_prepared_share": "departures", "returns_reintegrated_share": "returns"}
    base, _, sex = name.partition(".")
    if base in shares:
        head = shares[base]
        done = "prepared" if head == "departures" else "reintegrated"
        sexes = [sex] if sex else ["female", "male"]
        part = sum(leaves.get(f"{head}.{done}.{x}", 0) for x in sexes)
        whole = sum(leaves.get(f"{head}.all.{x}", 0) for x in sexes)
        return part / whole if whole else None
    raise AssertionError(f"the page shows a derived figure the test does not know: {name}")


def same(value: str, want: float | None) -> bool:
    """A cell's data-value is ``want`` (a share: within rounding; "" when there is none)."""
    if want is None:
        return value == ""
    return value != "" and abs(float(value) - want) < 1e-9


def number(text: str) -> float:
    """A figure as the page writes it (Indonesian: 1.234.567,5; Rp 1.500.000) as a number."""
    digits = "".join(c for c in text if c.isdigit() or c in ",-")
    return float(digits.replace(",", ".")) if digits else float("nan")


async def shown_figures(page: Page, scope: str) -> list[tuple[str, str, str, str]]:
    """(kind, name, value, text) of every figure cell under ``scope``: kind is "figure" (a leaf)
    or "derived"."""
    rows: list[list[str]] = await page.eval_on_selector_all(
        f"{scope} [data-figure], {scope} [data-derived]",
        """(cells) => cells.map((c) => [c.dataset.figure ? "figure" : "derived",
            c.dataset.figure || c.dataset.derived, c.dataset.value, c.textContent])""",
    )
    return [(k, n, v, t) for k, n, v, t in rows]


# How the page says a withheld figure, in Bahasa Indonesia and English.
WITHHELD = ("disembunyikan", "withheld")


def assert_figures_equal(
    shown: list[tuple[str, str, str, str]], totals: dict[str, Any], where: str
) -> int:
    """Every figure shown equals the API's (its value and its text); returns how many."""
    leaves = flatten(totals)
    for kind, name, value, text in shown:
        want: float | None
        if kind == "figure" and name in leaves and leaves[name] is None:
            # Withheld by the API (a small cell): said as such on the page, never as a number.
            assert value == "" and text in WITHHELD, f"{where}: withheld {name} reads {text!r}"
            continue
        if kind == "figure":
            # Objects keyed by the data (countries, rules, currencies, providers) leave out what
            # is zero everywhere (no man went to SA): 0 on the page.
            keyed = name.startswith(DYNAMIC) or ".amount." in name
            assert name in leaves or keyed, f"{where}: no figure {name} in the API"
            want = leaves.get(name, 0)
        else:
            want = derived(leaves, name)
        if name.split(".")[0].endswith("_share"):
            # A share: its value, and its text as a percentage ("—" with nothing to divide).
            assert same(value, want), f"{where}: {name} shows {value!r}, the API gives {want}"
            if want is None:
                assert text == "—", f"{where}: {name} reads {text!r}"
            else:
                assert text.endswith("%") and abs(number(text) - 100 * want) <= 0.05, (where, name)
            continue
        assert want is not None and float(value) == want, (
            f"{where}: {name} shows {value}, the API says {want}"
        )
        assert number(text) == want, f"{where}: {name} reads {text!r}, the API says {want}"
    return len(shown)
