"""Services delivered to workers and their families, through the registry's API over a real
PostgreSQL: one delivery, a session of 40 in one request, what each counts for, refusals that
write nothing, and no family member's record in any event.

The app runs with its lifespan and no relay: the outbox rows stay put so each test can read what
a request appended, or prove that a refused request appended nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from shared.contract.envelope import Envelope
from shared.contract.events import ServiceDelivered, WorkerDeparted, WorkerReturned, parse_data
from tests.integration.test_registry_api import auth, departure, events_of, registration
from tests.support.database import connection, fresh_database
from tests.support.registry import offline_settings, registry_client

VILLAGE = "53.71.01.1001"
OTHER_REGENCY = "53.01.04.2003"
VILLAGE_OFFICER = auth("village-officer", VILLAGE)
REGENCY_OFFICER = auth("regency-officer", "53.71")
TABLES = (
    "workers",
    "services",
    "family_members",
    "service_sessions",
    "outbox",
    "audit_log",
    "idempotency_keys",
)


dsn = fresh_database("services.registry")
db = connection()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    async with registry_client(offline_settings(dsn)) as http:
        yield http


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    return {t: int(await db.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}


async def register(client: httpx.AsyncClient, village: str = VILLAGE, **overrides: Any) -> str:
    officer = auth("village-officer", village)
    body = registration(village=village, **overrides)
    response = await client.post("/v1/workers", json=body, headers=officer)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def verified(client: httpx.AsyncClient, **overrides: Any) -> str:
    worker = await register(client, **overrides)
    await post(client, f"/v1/workers/{worker}/verification", {}, REGENCY_OFFICER)
    return worker


def serve(kind: str, day: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "delivered_on": day, **extra}


# One delivery ---------------------------------------------------------------------------------
async def test_a_service_to_a_worker_is_recorded_with_its_event(client, db):
    worker = await register(client, registered_on="2024-01-05")
    before = await counts(db)
    response = await client.post(
        f"/v1/workers/{worker}/services",
        json=serve("pre_departure_information", "2024-02-01"),
        headers=VILLAGE_OFFICER,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["worker_id"] == worker and body["beneficiary"] == "worker"
    assert (body["provider"], body["provider_area"]) == ("village", VILLAGE)
    assert body["version"] == 2 and body["first_of_kind"] is True
    assert body["prepares_departure_on"] is None  # no departure yet: the departure will say so
    after = await counts(db)
    assert after["services"] == before["services"] + 1
    assert after["outbox"] == before["outbox"] + 1
    assert after["audit_log"] == before["audit_log"] + 1

    envelope = (await events_of(db, worker))[-1]
    assert (envelope.type, envelope.sequence, envelope.area) == ("service-delivered", 2, VILLAGE)
    data = parse_data(envelope)
    assert isinstance(data, ServiceDelivered)
    assert data.sex.value == "female" and data.relation is None
    assert data.service_id == uuid.UUID(body["id"])

    record = (await client.get(f"/v1/workers/{worker}", headers=VILLAGE_OFFICER)).json()
    assert [s["kind"] for s in record["services"]] == ["pre_departure_information"]
    assert record["version"] == 2


async def test_a_departure_and_a_return_name_the_services_that_came_before(client, db):
    worker = await verified(client, registered_on="2024-01-05")
    officer = VILLAGE_OFFICER
    for kind, day in [
        ("pre_departure_information", "2024-02-01"),
        ("pre_departure_training", "2024-02-20"),
        ("pre_departure_training", "2024-02-21"),  # the same kind again: credited once
        ("rights_training", "2024-04-02"),  # after the departure: it prepares nothing
    ]:
        await post(client, f"/v1/workers/{worker}/services", serve(kind, day), officer)
    await post(
        client, f"/v1/workers/{worker}/departures", departure(departed_on="2024-03-01"), officer
    )
    departed = parse_data((await events_of(db, worker))[-1])
    assert isinstance(departed, WorkerDeparted)
    assert [k.value for k in departed.prepared_by] == [
        "pre_departure_information",
        "pre_departure_training",
    ]

    # Entered late: a document assistance before the departure credits it now, once.
    late = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("document_assistance", "2024-01-20"),
        officer,
    )
    assert late["prepares_departure_on"] == "2024-03-01"
    data = parse_data((await events_of(db, worker))[-1])
    assert isinstance(data, ServiceDelivered)
    assert data.prepares_departure_on == date(2024, 3, 1) and not data.first_preparation

    # A cooperative recorded before the return, dated after it: the return names it.
    await post(
        client, f"/v1/workers/{worker}/services", serve("cooperative", "2025-09-01"), officer
    )
    await post(client, f"/v1/workers/{worker}/returns", {"returned_on": "2025-08-20"}, officer)
    came_home = parse_data((await events_of(db, worker))[-1])
    assert isinstance(came_home, WorkerReturned)
    assert [k.value for k in came_home.reintegrated_by] == ["cooperative"]

    within = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("reintegration_training", "2026-01-10"),
        officer,
    )
    assert within["reintegrates_return_on"] == "2025-08-20"
    data = parse_data((await events_of(db, worker))[-1])
    assert isinstance(data, ServiceDelivered) and data.first_reintegration is False
    beyond = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("remittance_management", "2026-03-01"),  # more than six months after the return
        officer,
    )
    assert beyond["reintegrates_return_on"] is None


async def test_a_departure_counts_as_prepared_by_a_service_entered_after_it(client, db):
    worker = await verified(client, registered_on="2024-01-05")
    await post(
        client,
        f"/v1/workers/{worker}/departures",
        departure(departed_on="2024-03-01"),
        VILLAGE_OFFICER,
    )
    departed = parse_data((await events_of(db, worker))[-1])
    assert isinstance(departed, WorkerDeparted) and departed.prepared_by == []
    answer = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("financial_literacy", "2024-02-10", provider="ltsa"),
        REGENCY_OFFICER,
    )
    assert (answer["provider"], answer["provider_area"]) == ("ltsa", "53.71")
    data = parse_data((await events_of(db, worker))[-1])
    assert isinstance(data, ServiceDelivered)
    assert data.prepares_departure_on == date(2024, 3, 1) and data.first_preparation
    assert data.worker_abroad is False


async def test_a_family_members_record_never_appears_in_an_event(client, db):
    worker = await verified(client, registered_on="2023-01-05")
    await post(
        client,
        f"/v1/workers/{worker}/departures",
        departure(departed_on="2023-03-01", contract_end="2025-03-01"),
        VILLAGE_OFFICER,
    )
    child = {"relation": "child", "sex": "male", "birth_year": 2016}
    first = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("community_parenting", "2024-06-01", beneficiary=child),
        VILLAGE_OFFICER,
    )
    again = await post(
        client,
        f"/v1/workers/{worker}/services",
        serve("community_parenting", "2024-07-06", beneficiary=child),
        VILLAGE_OFFICER,
    )
    member = first["family_member_id"]
    assert member and again["family_member_id"] == member  # the same child, recorded once
    assert (first["first_of_kind"], again["first_of_kind"]) == (True, False)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM family_members WHERE worker_id = $1", uuid.UUID(worker)
        )
        == 1
    )

    envelopes = [e for e in await events_of(db, worker) if e.type == "service-delivered"]
    assert len(envelopes) == 2
    for envelope in envelopes:
        data = parse_data(envelope)
        assert isinstance(data, ServiceDelivered)
        assert (data.beneficiary.value, data.relation, data.sex.value) == (
            "family",
            "child",
            "male",
        )
        assert data.worker_abroad is True
        text = envelope.to_json().decode()
        assert member not in text
        assert "2016" not in text and "birth" not in text
        assert set(envelope.data) == set(ServiceDelivered.model_fields)

    record = (await client.get(f"/v1/workers/{worker}", headers=VILLAGE_OFFICER)).json()
    assert record["family"] == [
        {"id": member, "relation": "child", "sex": "male", "birth_year": 2016, "member": 1}
    ]


# A session ------------------------------------------------------------------------------------
async def test_a_session_of_40_is_one_request_and_40_deliveries(client, db):
    workers = [await register(client) for _ in range(36)]
    families = [
        {
            "worker_id": workers[i],
            "beneficiary": {"relation": "spouse", "sex": "male", "birth_year": 1985 + i},
        }
        for i in range(4)
    ]
    body = {
        "kind": "pre_departure_information",
        "delivered_on": (date.today() - timedelta(days=3)).isoformat(),
        "participants": [{"worker_id": w} for w in workers] + families,
    }
    key = {"Idempotency-Key": f"session-{uuid.uuid4()}"}
    before = await counts(db)
    response = await client.post(
        "/v1/service-sessions", json=body, headers={**VILLAGE_OFFICER, **key}
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["participants"] == 40 and len(answer["deliveries"]) == 40
    after = await counts(db)
    assert after["services"] - before["services"] == 40
    assert after["outbox"] - before["outbox"] == 40
    assert after["service_sessions"] - before["service_sessions"] == 1
    assert after["family_members"] - before["family_members"] == 4
    assert after["audit_log"] - before["audit_log"] == 40
    session = answer["id"]
    rows = await db.fetch("SELECT payload FROM outbox ORDER BY position DESC LIMIT 40")
    sessions = {Envelope.model_validate_json(r["payload"]).data["session_id"] for r in rows}
    assert sessions == {session}
    assert len(rows) == 40
    # Each worker's event has its own next sequence; the four with a spouse have two.
    for worker in workers[:4]:
        sequences = [e.sequence for e in await events_of(db, worker)]
        assert sequences == [1, 2, 3]

    replay = await client.post(
        "/v1/service-sessions", json=body, headers={**VILLAGE_OFFICER, **key}
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == answer
    assert await counts(db) == {**after, "idempotency_keys": after["idempotency_keys"]}


async def test_a_session_is_refused_whole_when_one_participant_is_at_fault(client, db):
    workers = [await register(client) for _ in range(3)]
    outsider = await register(client, village=OTHER_REGENCY)
    base = {"kind": "rights_training", "delivered_on": "2025-05-05"}
    cases: list[tuple[dict[str, Any], int, list[Any] | None]] = [
        (
            {
                **base,
                "participants": [{"worker_id": w} for w in workers]
                + [{"worker_id": str(uuid.uuid4())}],
            },
            422,
            ["body", "participants", 3, "worker_id"],
        ),
        (
            {**base, "participants": [{"worker_id": workers[0]}, {"worker_id": workers[0]}]},
            422,
            ["body", "participants", 1],
        ),
        (  # a worker outside the caller's area is answered as an unknown one
            {**base, "participants": [{"worker_id": workers[0]}, {"worker_id": outsider}]},
            422,
            ["body", "participants", 1, "worker_id"],
        ),
        ({**base, "participants": []}, 422, ["body", "participants"]),
        (
            {**base, "participants": [{"worker_id": w} for w in workers] * 70},
            422,
            ["body", "participants"],
        ),
    ]
    for body, code, loc in cases:
        before = await counts(db)
        response = await client.post("/v1/service-sessions", json=body, headers=REGENCY_OFFICER)
        assert response.status_code == code, (body, response.text)
        if loc is not None:
            assert [d["loc"] for d in response.json()["detail"]] == [loc], response.text
        assert await counts(db) == before


async def test_a_session_tells_nobody_whether_a_worker_elsewhere_exists(client, db):
    mine = await register(client)
    elsewhere = await register(client, village=OTHER_REGENCY)
    base = {"kind": "rights_training", "delivered_on": "2025-05-05"}
    before = await counts(db)
    answers = []
    for other in (elsewhere, str(uuid.uuid4())):  # registered outside the area; never registered
        body = {**base, "participants": [{"worker_id": mine}, {"worker_id": other}]}
        response = await client.post("/v1/service-sessions", json=body, headers=REGENCY_OFFICER)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert [d["loc"] for d in answers[0][1]["detail"]] == [["body", "participants", 1, "worker_id"]]
    assert await counts(db) == before


# Refusals -------------------------------------------------------------------------------------
async def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, db):
    worker = await register(client)
    future = (date.today() + timedelta(days=5)).isoformat()
    child = {"relation": "child", "sex": "female", "birth_year": 2015}
    cases: list[tuple[dict[str, Any], dict[str, str], list[Any]]] = [
        (serve("pre_departure_information", future), VILLAGE_OFFICER, ["body", "delivered_on"]),
        (serve("gardening", "2025-01-01"), VILLAGE_OFFICER, ["body", "kind"]),
        (serve("cooperative", "0001-01-01"), VILLAGE_OFFICER, ["body", "delivered_on"]),
        (serve("community_parenting", "2025-01-01"), VILLAGE_OFFICER, ["body", "beneficiary"]),
        (
            serve("community_parenting", "2014-01-01", beneficiary=child),
            VILLAGE_OFFICER,
            ["body", "beneficiary", "birth_year"],
        ),
        (
            serve("cooperative", "2025-01-01", beneficiary={**child, "relation": "cousin"}),
            VILLAGE_OFFICER,
            ["body", "beneficiary", "relation"],
        ),
        (
            serve("cooperative", "2025-01-01", beneficiary={**child, "birth_year": 2**63}),
            VILLAGE_OFFICER,
            ["body", "beneficiary", "birth_year"],
        ),
        (
            serve("cooperative", "2025-01-01", provider="ltsa"),
            VILLAGE_OFFICER,
            ["body", "provider"],
        ),
        (
            serve("cooperative", "2025-01-01", provider="village"),
            REGENCY_OFFICER,
            ["body", "provider"],
        ),
        (
            serve("cooperative", "2025-01-01", nik="5371015403980001"),
            VILLAGE_OFFICER,
            ["body", "nik"],
        ),
    ]
    for body, headers, loc in cases:
        before = await counts(db)
        response = await client.post(f"/v1/workers/{worker}/services", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        detail = response.json()["detail"]
        assert [d["loc"] for d in detail] == [loc], (body, detail)
        assert "5371015403980001" not in response.text and "cousin" not in response.text
        assert await counts(db) == before

    for headers, code in [
        (auth("village-officer", "53.71.01.1002"), 403),  # another village's worker
        (auth("monitor", "53"), 403),
        ({}, 401),
    ]:
        before = await counts(db)
        response = await client.post(
            f"/v1/workers/{worker}/services",
            json=serve("cooperative", "2025-01-01"),
            headers=headers,
        )
        assert response.status_code == code, response.text
        assert await counts(db) == before
    missing = await client.post(
        f"/v1/workers/{uuid.uuid4()}/services",
        json=serve("cooperative", "2025-01-01"),
        headers=VILLAGE_OFFICER,
    )
    assert missing.status_code == 404


async def test_no_event_of_a_session_carries_more_than_codes(client, db):
    worker = await register(client)
    spouse = {"relation": "spouse", "sex": "male", "birth_year": 1979}
    body = {
        "kind": "cooperative",
        "delivered_on": "2025-06-01",
        "participants": [{"worker_id": worker}, {"worker_id": worker, "beneficiary": spouse}],
    }
    await post(client, "/v1/service-sessions", body, VILLAGE_OFFICER)
    for envelope in await events_of(db, worker):
        if envelope.type == "service-delivered":
            text = json.dumps(envelope.data)
            assert "1979" not in text and "family_member" not in text
