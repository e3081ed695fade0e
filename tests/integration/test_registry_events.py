"""Registry events reach the broker: the relay publishes what the API committed, in order.

Real PostgreSQL, real Kafka-protocol broker, the app with its lifespan (outbox relay running).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from pantau.simulate import make_nik
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.auth import issue_token
from shared.contract.envelope import Envelope
from shared.contract.events import parse_data
from shared.service.context import correlation_id_for
from tests.support.messaging import header, read_topic, wait_until

VILLAGE = "53.71.01.1004"


def auth(role: str, area: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area)}"}


@pytest_asyncio.fixture(loop_scope="session")
async def running(make_database, service_settings) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    dsn = await make_database("services.registry")
    settings = service_settings(RegistrySettings, database_url=dsn)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield client, dsn


def _keyed(records: list[Any], key: str) -> list[Any]:
    return [r for r in records if r.key is not None and bytes(r.key).decode() == key]


async def test_worker_events_reach_the_topic_in_order_without_personal_data(
    running, kafka_bootstrap
):
    client, dsn = running
    officer = auth("village-officer", VILLAGE)
    body = {
        "nik": make_nik("53.71.01", date(1993, 8, 17), "female", 77),
        "name": "Yohana Bria",
        "sex": "female",
        "birth_date": "1993-08-17",
        "village": VILLAGE,
        "occupation": "elderly_carer",
    }
    response = await client.post(
        "/v1/workers", json=body, headers={**officer, "X-Correlation-ID": "corr-events-1"}
    )
    assert response.status_code == 201, response.text
    worker_id = response.json()["id"]
    steps = [
        (f"/v1/workers/{worker_id}/verification", {}, auth("regency-officer", "53.71")),
        (
            f"/v1/workers/{worker_id}/fees",
            {
                "component": "health_exam",
                "amount": 750000,
                "currency": "IDR",
                "charged_on": "2024-05-02",
            },
            officer,
        ),
        (
            f"/v1/workers/{worker_id}/departures",
            {
                "occupation": "elderly_carer",
                "destination_country": "TW",
                "channel": "g2g",
                "agency_id": None,
                "departed_on": "2024-06-01",
                "contract_end": "2027-06-01",
            },
            officer,
        ),
    ]
    for path, payload, headers in steps:
        response = await client.post(path, json=payload, headers=headers)
        assert response.status_code in (200, 201), response.text

    records = _keyed(
        await read_topic(
            kafka_bootstrap,
            "registry.worker.v1",
            until=lambda seen: len(_keyed(seen, worker_id)) >= 4,
        ),
        worker_id,
    )
    assert len({r.partition for r in records}) == 1, "one key, one partition"
    envelopes = [Envelope.model_validate_json(r.value) for r in records]
    assert [e.type for e in envelopes] == [
        "worker-registered",
        "worker-verified",
        "fee-charged",
        "worker-departed",
    ]
    assert [e.sequence for e in envelopes] == [1, 2, 3, 4]
    for record, envelope in zip(records, envelopes, strict=True):
        assert header(record, "event-id") == str(envelope.id)
        assert header(record, "event-type") == envelope.type
        assert (envelope.source, envelope.subject, envelope.area) == (
            "registry",
            worker_id,
            VILLAGE,
        )
        parse_data(envelope)
        text = bytes(record.value).decode()
        for secret in (body["nik"], body["name"], body["birth_date"], body["nik"][6:12]):
            assert secret not in text
    assert envelopes[0].correlation_id == correlation_id_for(b"corr-events-1")
    assert envelopes[0].data["sex"] == "female" and envelopes[0].data["birth_year"] == 1993
    assert envelopes[2].data["legality"] == "illegal"
    assert envelopes[3].data["destination_country"] == "TW"

    async def outbox_drained() -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM outbox")) == 0
        finally:
            await conn.close()

    await wait_until(outbox_drained)


async def test_agency_events_reach_their_topic(running, kafka_bootstrap):
    client, _ = running
    ministry = auth("ministry", "ID")
    body = {"name": "PT Timur Sejahtera", "licence_no": f"EV-{uuid.uuid4().hex[:8]}", "area": "53"}
    response = await client.post("/v1/agencies", json=body, headers=ministry)
    assert response.status_code == 201
    agency_id = response.json()["id"]
    response = await client.post(
        f"/v1/agencies/{agency_id}/suspension",
        json={"reason": "worker_abuse", "note": "withheld passports"},
        headers=ministry,
    )
    assert response.status_code == 200
    records = _keyed(
        await read_topic(
            kafka_bootstrap,
            "registry.agency.v1",
            until=lambda seen: len(_keyed(seen, agency_id)) >= 2,
        ),
        agency_id,
    )
    envelopes = [Envelope.model_validate_json(r.value) for r in records]
    assert [(e.type, e.sequence, e.area) for e in envelopes] == [
        ("agency-licensed", 1, "53"),
        ("agency-suspended", 2, "53"),
    ]
    assert envelopes[0].data["licence_no"] == body["licence_no"]
    assert envelopes[1].version == 2 and envelopes[1].data == {"reason": "worker_abuse"}


async def test_ready_when_database_and_broker_answer(running):
    client, _ = running
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    metrics = await client.get("/metrics")
    assert 'pantau_events_recorded_total{service="registry"' in metrics.text
