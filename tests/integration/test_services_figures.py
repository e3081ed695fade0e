"""End to end over the real broker and PostgreSQL: workers registered, prepared, departed,
returned and reintegrated through the registry's API reach reporting's figures, and the shares
of prepared departures and of reintegrated returns add up at every level.

The registry runs with its outbox relay, reporting with its consumer (a group of its own, from
the start of the topics, which other tests share: the village used here is used by no other
test, and every level is checked to equal the sum of its children).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from tests.integration.test_registry_api import auth, departure, registration

pytestmark = pytest.mark.integration

VILLAGE = "65.01.01.1002"  # Kalimantan Utara: no other test writes here
CHAIN = ["ID", "65", "65.01", "65.01.01", VILLAGE]
VILLAGE_OFFICER = auth("village-officer", VILLAGE)
LTSA = auth("regency-officer", "65.01")  # a one-roof centre's staff: the regency's token
MINISTRY = auth("ministry", "ID")
FIGURES = ("departures", "returns", "services", "people_served", "children_in_community_parenting")


@pytest_asyncio.fixture(loop_scope="session")
async def running(
    make_database, service_settings
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    registry = create_registry(
        service_settings(RegistrySettings, database_url=await make_database("services.registry"))
    )
    reporting = create_reporting(
        service_settings(
            ReportingSettings,
            database_url=await make_database("services.reporting"),
            consumer_name=f"reporting-{uuid.uuid4().hex[:8]}",
        )
    )
    registry_http = httpx.ASGITransport(app=registry)
    reporting_http = httpx.ASGITransport(app=reporting)
    async with (
        registry.router.lifespan_context(registry),
        reporting.router.lifespan_context(reporting),
        httpx.AsyncClient(transport=registry_http, base_url="http://registry") as r,
        httpx.AsyncClient(transport=reporting_http, base_url="http://reporting") as f,
    ):
        yield r, f


async def post(client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def registered(registry: httpx.AsyncClient, sex: str, day: str) -> str:
    """A worker of the village, registered by its officer and verified by the regency."""
    body = registration(village=VILLAGE, sex=sex, registered_on=day)
    worker = str((await post(registry, "/v1/workers", body, VILLAGE_OFFICER))["id"])
    await post(registry, f"/v1/workers/{worker}/verification", {}, LTSA)
    return worker


def leaf(totals: dict[str, Any], path: str) -> float:
    node: Any = totals
    for part in path.split("/"):
        node = node.get(part, 0) if isinstance(node, dict) else 0
    return float(node) if not isinstance(node, dict) else 0.0


def leaf_paths(totals: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in totals.items():
        path = f"{prefix}/{key}" if prefix else key
        out += leaf_paths(value, path) if isinstance(value, dict) else [path]
    return out


async def summary(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await client.get(f"/v1/areas/{code}/summary", headers=MINISTRY)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def settled(client: httpx.AsyncClient, wanted: dict[str, float]) -> dict[str, Any]:
    """The village's totals once they show ``wanted`` (the relay and the consumer take a
    moment)."""
    totals: dict[str, Any] = {}
    for _ in range(300):
        totals = (await summary(client, VILLAGE))["totals"]
        if all(leaf(totals, p) == v for p, v in wanted.items()):
            return totals
        await asyncio.sleep(0.2)
    shown = {p: leaf(totals, p) for p in wanted}
    raise AssertionError(f"the figures did not arrive: {shown}")


async def test_prepared_departures_and_reintegrated_returns_add_up_at_every_level(running):
    registry, reporting = running
    # Maria: prepared by the village, then trained at the regency's LTSA, placed, back home,
    # and in a reintegration training within six months.
    maria = await registered(registry, "female", "2024-01-08")
    await post(
        registry,
        f"/v1/workers/{maria}/services",
        {"kind": "pre_departure_information", "delivered_on": "2024-01-20"},
        VILLAGE_OFFICER,
    )
    # Yusuf: placed without any preparation on record.
    yusuf = await registered(registry, "male", "2024-01-09")
    # The LTSA's training session (a session of one, recorded as one).
    session = await post(
        registry,
        "/v1/service-sessions",
        {
            "kind": "pre_departure_training",
            "delivered_on": "2024-02-05",
            "provider": "ltsa",
            "participants": [{"worker_id": maria}],
        },
        LTSA,
    )
    assert session["participants"] == 1
    for worker, day in ((maria, "2024-03-01"), (yusuf, "2024-03-04")):
        await post(
            registry,
            f"/v1/workers/{worker}/departures",
            departure(departed_on=day, contract_end=None),
            VILLAGE_OFFICER,
        )
    await post(registry, f"/v1/workers/{maria}/returns", {"returned_on": "2025-03-01"}, LTSA)
    answer = await post(
        registry,
        f"/v1/workers/{maria}/services",
        {"kind": "reintegration_training", "delivered_on": "2025-05-10", "provider": "ltsa"},
        LTSA,
    )
    assert answer["reintegrates_return_on"] == "2025-03-01"
    # Her son, left behind while she was abroad, in the village's community parenting.
    await post(
        registry,
        f"/v1/workers/{maria}/services",
        {
            "kind": "community_parenting",
            "delivered_on": "2024-06-08",
            "beneficiary": {"relation": "child", "sex": "male", "birth_year": 2015},
        },
        VILLAGE_OFFICER,
    )

    village = await settled(
        reporting,
        {
            "departures/all/female": 1,
            "departures/all/male": 1,
            "departures/prepared/female": 1,
            "departures/prepared/male": 0,
            "departures/prepared_by/pre_departure_information/female": 1,
            "departures/prepared_by/pre_departure_training/female": 1,
            "returns/all/female": 1,
            "returns/reintegrated/female": 1,
            "returns/reintegrated_by/reintegration_training/female": 1,
            "children_in_community_parenting/male": 1,
            "services/community_parenting/family/male": 1,
            "services_by_provider/ltsa/female": 2,
        },
    )
    # The shares, worked out at read time from the counts: prepared departures 1 of 2 (by sex,
    # 1 of 1 women, 0 of 1 men); reintegrated returns 1 of 1.
    prepared = sum(leaf(village, f"departures/prepared/{x}") for x in ("female", "male"))
    departed = sum(leaf(village, f"departures/all/{x}") for x in ("female", "male"))
    assert prepared / departed == 0.5
    assert leaf(village, "returns/reintegrated/female") / leaf(village, "returns/all/female") == 1

    # Every level: the worker is in the figures, and each leaf equals the sum of its children.
    for parent, child in itertools.pairwise(CHAIN):
        body = await summary(reporting, parent)
        kids = {c["area"]: c["totals"] for c in body["children"]}
        assert child in kids
        for path in leaf_paths(body["totals"]):
            if path.split("/")[0] in FIGURES:
                total = sum(leaf(t, path) for t in kids.values())
                assert leaf(body["totals"], path) == total, (parent, path)
        for path in ("departures/prepared/female", "returns/reintegrated/female"):
            assert leaf(body["totals"], path) >= 1 and leaf(kids[child], path) >= 1

    # Monthly, by the month of the departure and of the return (regency and above).
    series = await reporting.get("/v1/areas/65.01/series?from=2024-01&to=2025-12", headers=MINISTRY)
    assert series.status_code == 200, series.text
    months = {m["month"]: m for m in series.json()["months"]}
    assert months["2024-03"]["departures_prepared"]["female"] >= 1
    assert months["2025-03"]["returns_reintegrated"]["female"] >= 1
