"""The registry's HTTP API over a real PostgreSQL: rules, refusals, idempotency, the outbox.

The app runs with its lifespan (pool, no relay: the outbox rows stay put so each test can read
what a request appended, or prove that a refused request appended nothing).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from shared import idempotency
from shared.auth import issue_token, read_token
from shared.contract.envelope import Envelope
from shared.contract.events import parse_data
from shared.service.context import correlation_id_for
from tests.support.database import connection, fresh_database
from tests.support.registry import offline_settings, registry_client, worker_body

VILLAGE = "53.71.01.1001"  # Kota Kupang, Alak
NEIGHBOUR = "53.71.01.1002"  # same district
OTHER_DISTRICT = "53.71.02.1001"  # same regency 53.71
OTHER_REGENCY = "53.01.04.2003"  # same province 53
OTHER_PROVINCE = "11.01.01.2001"  # Aceh
TABLES = ("workers", "departures", "fees", "agencies", "outbox", "audit_log", "idempotency_keys")

_serials = itertools.count(1)


def auth(role: str, area: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area)}"}


VILLAGE_OFFICER = auth("village-officer", VILLAGE)
REGENCY_OFFICER = auth("regency-officer", "53.71")
PROVINCE_OFFICER = auth("province-officer", "53")
MINISTRY = auth("ministry", "ID")


def registration(village: str = VILLAGE, sex: str = "female", **overrides: Any) -> dict[str, Any]:
    serial = next(_serials)
    born = date(1980, 1, 1) + timedelta(days=serial * 37)
    body = worker_body(serial, born, village, sex=sex)
    body.update(overrides)
    return body


dsn = fresh_database("services.registry")
db = connection()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    # This module's tests refuse many duplicates with one token; the budget has its own test.
    settings = offline_settings(dsn, limit_duplicate_nik="10000/hour")
    async with registry_client(settings) as http:
        yield http


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    return {t: int(await db.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}


async def events_of(db: asyncpg.Connection, subject: str) -> list[Envelope]:
    rows = await db.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY position", subject)
    return [Envelope.model_validate_json(r["payload"]) for r in rows]


async def register(
    client: httpx.AsyncClient, headers: dict[str, str] = VILLAGE_OFFICER, **overrides: Any
) -> str:
    response = await client.post("/v1/workers", json=registration(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def license_agency(client: httpx.AsyncClient, area: str | None = "53.71") -> str:
    body = {"name": "PT Uji Penempatan", "licence_no": f"LIC-{uuid.uuid4().hex[:10]}", "area": area}
    response = await client.post("/v1/agencies", json=body, headers=MINISTRY)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def departure(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "occupation": "housekeeper",
        "destination_country": "MY",
        "channel": "individual",
        "agency_id": None,
        "departed_on": "2025-01-10",
        "contract_end": "2027-01-10",
    }
    body.update(overrides)
    return body


def assert_no_personal_data(text: str, body: dict[str, Any]) -> None:
    for field in ("nik", "name", "birth_date"):
        assert body[field] not in text, field
    assert body["nik"][6:12] not in text


# Registration ---------------------------------------------------------------------------------
async def test_registration_records_the_worker_and_an_event_without_personal_data(client, db):
    body = registration()
    before = await counts(db)
    response = await client.post(
        "/v1/workers", json=body, headers={**VILLAGE_OFFICER, "X-Request-ID": "req-registration-1"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == correlation_id_for(b"req-registration-1")
    worker_id = response.json()["id"]
    assert response.json() == {"id": worker_id, "status": "registered", "version": 1}
    after = await counts(db)
    assert after["workers"] == before["workers"] + 1
    assert after["outbox"] == before["outbox"] + 1
    assert after["audit_log"] == before["audit_log"] + 1

    [event] = await events_of(db, worker_id)
    assert (event.type, event.version, event.source) == ("worker-registered", 1, "registry")
    assert (event.subject, event.sequence, event.area) == (worker_id, 1, VILLAGE)
    assert event.correlation_id == correlation_id_for(b"req-registration-1")
    assert parse_data(event).model_dump(mode="json") == {
        "sex": "female",
        "birth_year": int(body["birth_date"][:4]),
        "procedural": True,
        "occupation": "housekeeper",
        "registered_on": datetime.now(UTC).date().isoformat(),
    }
    raw = await db.fetchval("SELECT payload FROM outbox WHERE key = $1", worker_id)
    assert_no_personal_data(bytes(raw).decode(), body)
    topic = await db.fetchval("SELECT topic FROM outbox WHERE key = $1", worker_id)
    assert topic == "registry.worker.v1"


async def test_the_nik_is_stored_keyed_for_duplicate_detection(client, db):
    body = registration()
    worker_id = await register_body(client, body)
    row = await db.fetchrow("SELECT nik, nik_hash FROM workers WHERE id = $1", uuid.UUID(worker_id))
    assert row["nik"] == body["nik"]
    assert len(row["nik_hash"]) == 32 and body["nik"].encode() not in row["nik_hash"]


async def register_body(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await client.post("/v1/workers", json=body, headers=VILLAGE_OFFICER)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_non_procedural_worker_is_flagged_in_the_event(client, db):
    worker_id = await register(client, procedural=False)
    [event] = await events_of(db, worker_id)
    assert event.data["procedural"] is False


async def test_duplicate_nik_is_refused_and_reported_without_the_nik(client, db):
    body = registration()
    first = await register_body(client, body)
    before = await counts(db)
    metric_before = REGISTRY.get_sample_value("registry_duplicate_nik_total") or 0.0
    again = {**body, "name": "Someone Else"}
    response = await client.post("/v1/workers", json=again, headers=VILLAGE_OFFICER)
    assert response.status_code == 409
    assert response.json()["worker_id"] == first
    assert "already registered" in response.json()["detail"]
    assert_no_personal_data(response.text, body)
    # Nothing written but the audit row of the probe.
    assert await counts(db) == {**before, "audit_log": before["audit_log"] + 1}
    assert REGISTRY.get_sample_value("registry_duplicate_nik_total") == metric_before + 1

    # Registered under another village by another officer: refused, and the existing id is not
    # shown to someone whose jurisdiction does not cover it.
    elsewhere = {**body, "village": NEIGHBOUR}
    response = await client.post(
        "/v1/workers", json=elsewhere, headers=auth("village-officer", NEIGHBOUR)
    )
    assert response.status_code == 409
    assert response.json()["worker_id"] is None
    assert_no_personal_data(response.text, body)
    assert await counts(db) == {**before, "audit_log": before["audit_log"] + 2}


async def test_logs_never_carry_personal_data(client):
    body = registration()
    with capture_logs() as entries:
        first = await register_body(client, body)
        await client.post("/v1/workers", json=body, headers=VILLAGE_OFFICER)
        await client.post("/v1/workers", json={**body, "sex": "male"}, headers=VILLAGE_OFFICER)
    [warning] = [e for e in entries if e["event"] == "duplicate NIK refused"]
    assert warning["log_level"] == "warning" and warning["existing_worker_id"] == first
    assert_no_personal_data(repr(entries), body)


# Validation -----------------------------------------------------------------------------------
def _bad(**changes: Any) -> dict[str, Any]:
    body = registration()
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def _with_nik_digits(at: int, digits: str, **overrides: Any) -> dict[str, Any]:
    body = registration(**overrides)
    nik = body["nik"]
    body["nik"] = nik[:at] + digits + nik[at + len(digits) :]
    return body


def _shifted_birth_date() -> dict[str, Any]:
    body = registration()
    body["birth_date"] = (date.fromisoformat(body["birth_date"]) + timedelta(days=1)).isoformat()
    return body


BAD_REGISTRATIONS = {
    "nik too short": (lambda: _bad(nik="537101450790001"), "nik"),
    "nik with a letter": (lambda: _bad(nik="53710145079O0001"), "nik"),
    "nik unknown district": (lambda: _with_nik_digits(0, "999999"), "nik"),
    "nik impossible day": (lambda: _with_nik_digits(6, "72"), "nik"),
    "nik day 40": (lambda: _with_nik_digits(6, "40"), "nik"),
    "nik month 13": (lambda: _with_nik_digits(8, "13"), "nik"),
    "nik serial 0000": (lambda: _with_nik_digits(12, "0000"), "nik"),
    "nik says male": (lambda: registration(sex="male") | {"sex": "female"}, "sex"),
    "nik says female": (lambda: registration(sex="female") | {"sex": "male"}, "sex"),
    "birth date differs": (_shifted_birth_date, "birth_date"),
    "birth date in the future": (lambda: _bad(birth_date="2999-01-01"), "birth_date"),
    "birth date not a date": (lambda: _bad(birth_date="1990-02-30"), "birth_date"),
    "unknown village": (lambda: _bad(village="53.71.01.9999"), "village"),
    "village not a village code": (lambda: _bad(village="53.71"), "village"),
    "missing name": (lambda: _bad(name=...), "name"),
    "empty name": (lambda: _bad(name="  "), "name"),
    "unknown sex": (lambda: _bad(sex="x"), "sex"),
    "unknown occupation": (lambda: _bad(occupation="astronaut"), "occupation"),
    "unknown field": (lambda: _bad(phone="+62 812 0000 0000"), "phone"),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRATIONS))
async def test_a_bad_registration_is_422_naming_the_field_and_writes_nothing(client, db, case):
    make, field = BAD_REGISTRATIONS[case]
    body = make()
    before = await counts(db)
    response = await client.post("/v1/workers", json=body, headers=MINISTRY)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(e["loc"][:2] == ["body", field] for e in detail), detail
    assert all(set(e) <= {"loc", "msg", "type"} for e in detail), "no input or ctx echoed"
    for key in ("nik", "name"):
        if isinstance(body.get(key), str) and body[key].strip():
            assert body[key] not in response.text
    assert await counts(db) == before


async def test_a_malformed_json_body_is_422_without_echo(client, db):
    before = await counts(db)
    response = await client.post(
        "/v1/workers",
        content=b'{"nik": "5371014507900001", "name": "Maria',
        headers={**MINISTRY, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "5371014507900001" not in response.text and "Maria" not in response.text
    assert await counts(db) == before


# Jurisdiction and roles -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "village"),
    [
        (VILLAGE_OFFICER, NEIGHBOUR),
        (auth("regency-officer", "53.71"), OTHER_REGENCY),
        (auth("province-officer", "53"), OTHER_PROVINCE),
    ],
)
async def test_registering_outside_the_jurisdiction_is_403_and_writes_nothing(
    client, db, headers, village
):
    before = await counts(db)
    body = registration(village=village)
    response = await client.post("/v1/workers", json=body, headers=headers)
    assert response.status_code == 403
    detail = response.json()["detail"]
    # The caller's own area is named as theirs; the refused village is not echoed.
    caller_area = read_token(headers["Authorization"].removeprefix("Bearer ")).area
    assert detail == f"that area is outside your jurisdiction (yours: {caller_area})"
    assert village not in detail
    assert_no_personal_data(response.text, body)
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("headers", "village", "expected"),
    [
        (VILLAGE_OFFICER, VILLAGE, 201),
        (REGENCY_OFFICER, OTHER_DISTRICT, 201),
        (PROVINCE_OFFICER, OTHER_REGENCY, 201),
        (MINISTRY, OTHER_PROVINCE, 201),
        (auth("case-worker", "53.71"), VILLAGE, 403),
        (auth("supervisor", "53"), VILLAGE, 403),
        (auth("monitor", "53"), VILLAGE, 403),
        (auth("operator", "ID"), VILLAGE, 403),
    ],
)
async def test_who_may_register(client, db, headers, village, expected):
    before = await counts(db)
    response = await client.post("/v1/workers", json=registration(village=village), headers=headers)
    assert response.status_code == expected, response.text
    if expected == 403:
        assert await counts(db) == before


async def test_no_token_is_401(client):
    response = await client.post("/v1/workers", json=registration())
    assert response.status_code == 401
    response = await client.get(
        f"/v1/workers/{uuid.uuid4()}", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401


async def test_writes_on_a_worker_outside_the_jurisdiction_are_403_and_write_nothing(client, db):
    worker_id = await register(client, headers=REGENCY_OFFICER, village=NEIGHBOUR)
    outsider = VILLAGE_OFFICER  # the neighbouring village's worker is not theirs
    before = await counts(db)
    attempts = [
        ("/verification", {}, auth("regency-officer", "53.01")),
        ("/departures", departure(), outsider),
        ("/returns", {"returned_on": "2025-06-01"}, outsider),
        (
            "/fees",
            {"component": "passport", "amount": 100, "currency": "IDR", "charged_on": "2024-01-01"},
            outsider,
        ),
    ]
    for path, body, headers in attempts:
        response = await client.post(f"/v1/workers/{worker_id}{path}", json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
    response = await client.get(f"/v1/workers/{worker_id}", headers=outsider)
    assert response.status_code == 403
    assert await counts(db) == before


async def test_a_village_officer_may_not_verify(client, db):
    worker_id = await register(client)
    before = await counts(db)
    response = await client.post(f"/v1/workers/{worker_id}/verification", headers=VILLAGE_OFFICER)
    assert response.status_code == 403
    assert "may not do this" in response.json()["detail"]
    assert await counts(db) == before


# Reading --------------------------------------------------------------------------------------
async def test_reading_a_record_is_audited_and_the_nik_is_for_officers(client, db):
    body = registration()
    worker_id = await register_body(client, body)
    audits = "SELECT count(*) FROM audit_log WHERE worker_id = $1 AND action = 'worker.read'"
    response = await client.get(f"/v1/workers/{worker_id}", headers=VILLAGE_OFFICER)
    assert response.status_code == 200
    record = response.json()
    assert (record["nik"], record["name"], record["birth_date"]) == (
        body["nik"],
        body["name"],
        body["birth_date"],
    )
    assert record["status"] == "registered" and record["village_name"]
    assert await db.fetchval(audits, uuid.UUID(worker_id)) == 1

    response = await client.get(f"/v1/workers/{worker_id}", headers=auth("case-worker", "53.71"))
    assert response.status_code == 200 and response.json()["nik"] is None
    assert await db.fetchval(audits, uuid.UUID(worker_id)) == 2
    row = await db.fetchrow(
        "SELECT actor, role, actor_area FROM audit_log WHERE worker_id = $1"
        " ORDER BY id DESC LIMIT 1",
        uuid.UUID(worker_id),
    )
    assert (row["role"], row["actor_area"]) == ("case-worker", "53.71")

    for headers in (auth("monitor", "53"), auth("operator", "ID"), auth("case-worker", "53.01")):
        response = await client.get(f"/v1/workers/{worker_id}", headers=headers)
        assert response.status_code == 403
    assert await db.fetchval(audits, uuid.UUID(worker_id)) == 2


async def test_unknown_worker_is_404(client):
    response = await client.get(f"/v1/workers/{uuid.uuid4()}", headers=MINISTRY)
    assert response.status_code == 404
    response = await client.post(f"/v1/workers/{uuid.uuid4()}/verification", headers=MINISTRY)
    assert response.status_code == 404
    response = await client.get("/v1/workers/not-a-uuid", headers=MINISTRY)
    assert response.status_code == 422


async def test_listing_is_within_the_jurisdiction_paginated_and_audited(client, db):
    village = "53.71.01.1003"
    officer = auth("village-officer", village)
    ids = [await register(client, headers=officer, village=village) for _ in range(3)]
    response = await client.get("/v1/workers", params={"limit": 2}, headers=officer)
    assert response.status_code == 200
    page = response.json()
    assert [w["id"] for w in page["items"]] == ids[:2] and page["next_offset"] == 2
    assert all("nik" not in w and "birth_date" not in w for w in page["items"])
    response = await client.get("/v1/workers", params={"limit": 2, "offset": 2}, headers=officer)
    assert [w["id"] for w in response.json()["items"]] == ids[2:]
    assert response.json()["next_offset"] is None
    listed = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'worker.list' AND worker_id = ANY($1)",
        [uuid.UUID(i) for i in ids],
    )
    assert listed == 3

    response = await client.get("/v1/workers", params={"village": VILLAGE}, headers=officer)
    assert response.status_code == 403
    response = await client.get(
        "/v1/workers", params={"village": village, "status": "verified"}, headers=REGENCY_OFFICER
    )
    assert response.status_code == 200 and response.json()["items"] == []
    response = await client.get(
        "/v1/workers", params={"village": "53.71.01"}, headers=REGENCY_OFFICER
    )
    assert response.status_code == 200 and response.json()["items"]
    assert all(w["village"].startswith("53.71.01.") for w in response.json()["items"])
    response = await client.get("/v1/workers", params={"status": "lost"}, headers=REGENCY_OFFICER)
    assert response.status_code == 422


# Lifecycle ------------------------------------------------------------------------------------
async def test_full_lifecycle_has_sequences_one_to_n(client, db):
    agency = await license_agency(client)
    worker_id = await register(client, occupation="factory_worker")
    base = f"/v1/workers/{worker_id}"

    response = await client.post(f"{base}/departures", json=departure(), headers=VILLAGE_OFFICER)
    assert response.status_code == 409
    assert "verif" in response.json()["detail"]

    response = await client.post(f"{base}/verification", json={}, headers=REGENCY_OFFICER)
    assert response.status_code == 200 and response.json()["status"] == "verified"
    response = await client.post(f"{base}/verification", headers=REGENCY_OFFICER)
    assert response.status_code == 409
    assert response.json()["detail"] == "worker is verified; verification needs status registered"

    response = await client.post(
        f"{base}/returns", json={"returned_on": "2025-01-01"}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 409

    fee = {
        "component": "job_training",
        "amount": 2500000,
        "currency": "IDR",
        "charged_on": "2024-12-01",
    }
    response = await client.post(f"{base}/fees", json=fee, headers=VILLAGE_OFFICER)
    assert (
        response.status_code == 201 and response.json()["legality"] == "warning"
    )  # factory worker

    body = departure(channel="p3mi", agency_id=agency, occupation="housekeeper")
    response = await client.post(f"{base}/departures", json=body, headers=VILLAGE_OFFICER)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "departed" and response.json()["version"] == 4
    assert response.json()["agency_status"] == "licensed" and response.json()["warnings"] == []

    response = await client.post(f"{base}/departures", json=departure(), headers=VILLAGE_OFFICER)
    assert response.status_code == 409

    fee = {**fee, "charged_on": "2025-02-01", "agency_id": agency}
    response = await client.post(f"{base}/fees", json=fee, headers=VILLAGE_OFFICER)
    assert response.status_code == 201
    assert (response.json()["legality"], response.json()["occupation"]) == (
        "illegal",
        "housekeeper",
    )

    response = await client.post(
        f"{base}/returns", json={"returned_on": "2024-01-01"}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == [
        "body",
        "returned_on",
    ]
    response = await client.post(
        f"{base}/returns", json={"returned_on": "2026-01-10"}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 200 and response.json()["status"] == "returned"

    again = departure(departed_on="2026-02-01", contract_end=None, destination_country="HK")
    response = await client.post(f"{base}/departures", json=again, headers=VILLAGE_OFFICER)
    assert response.status_code == 201 and response.json()["version"] == 7

    events = await events_of(db, worker_id)
    assert [e.type for e in events] == [
        "worker-registered",
        "worker-verified",
        "fee-charged",
        "worker-departed",
        "fee-charged",
        "worker-returned",
        "worker-departed",
    ]
    assert [e.sequence for e in events] == list(range(1, 8))
    assert {e.subject for e in events} == {worker_id} and {e.area for e in events} == {VILLAGE}
    for event in events:
        parse_data(event)
    assert events[3].data["agency_id"] == agency and events[3].data["channel"] == "p3mi"

    record = (await client.get(base, headers=VILLAGE_OFFICER)).json()
    assert record["status"] == "departed" and record["version"] == 7
    assert [d["destination_country"] for d in record["departures"]] == ["HK", "MY"]
    assert record["departures"][1]["returned_on"] == "2026-01-10"
    assert [f["legality"] for f in record["fees"]] == ["warning", "illegal"]
    changes = await db.fetch(
        "SELECT action FROM audit_log WHERE worker_id = $1 AND action <> 'worker.read' ORDER BY id",
        uuid.UUID(worker_id),
    )
    assert [r["action"] for r in changes] == [
        "worker.register",
        "worker.verify",
        "worker.fee",
        "worker.depart",
        "worker.fee",
        "worker.return",
        "worker.depart",
    ]


async def test_a_non_procedural_worker_departs_without_verification(client, db):
    worker_id = await register(client, procedural=False)
    response = await client.post(
        f"/v1/workers/{worker_id}/departures",
        json=departure(channel="p3mi", agency_id=None),
        headers=VILLAGE_OFFICER,
    )
    assert response.status_code == 201, response.text
    assert [e.type for e in await events_of(db, worker_id)] == [
        "worker-registered",
        "worker-departed",
    ]


async def test_a_procedural_p3mi_departure_names_its_agency(client, db):
    worker_id = await register(client)
    await client.post(f"/v1/workers/{worker_id}/verification", headers=REGENCY_OFFICER)
    before = await counts(db)
    response = await client.post(
        f"/v1/workers/{worker_id}/departures",
        json=departure(channel="p3mi"),
        headers=VILLAGE_OFFICER,
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == [
        "body",
        "agency_id",
    ]
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"destination_country": "Malaysia"}, "destination_country"),
        ({"destination_country": "ID"}, "destination_country"),
        ({"channel": "boat"}, "channel"),
        ({"occupation": None}, "occupation"),
        ({"departed_on": "2999-01-01"}, "departed_on"),
        ({"contract_end": "2024-01-01"}, "contract_end"),
        ({"agency_id": "not-a-uuid"}, "agency_id"),
        ({"agency_id": str(uuid.uuid4())}, "agency_id"),
    ],
)
async def test_a_bad_departure_is_422_naming_the_field(client, db, change, field):
    worker_id = await register(client, procedural=False)
    before = await counts(db)
    response = await client.post(
        f"/v1/workers/{worker_id}/departures", json=departure(**change), headers=VILLAGE_OFFICER
    )
    assert response.status_code == 422, response.text
    assert any(e["loc"][:2] == ["body", field] for e in response.json()["detail"])
    assert await counts(db) == before


# Fees -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("occupation", "component", "charged_on", "legality"),
    [
        ("housekeeper", "agency_service_fee", "2021-07-15", "illegal"),
        ("housekeeper", "agency_service_fee", "2021-07-14", "warning"),
        ("fishing_crew", "passport", "2024-01-01", "illegal"),
        ("housekeeper", "other", "2024-01-01", "warning"),
        ("factory_worker", "passport", "2024-01-01", "warning"),
        (None, "passport", "2024-01-01", "warning"),
    ],
)
async def test_fee_legality_travels_in_the_event(
    client, db, occupation, component, charged_on, legality
):
    worker_id = await register(client, occupation=occupation)
    fee = {
        "component": component,
        "amount": "1500000.50",
        "currency": "IDR",
        "charged_on": charged_on,
    }
    response = await client.post(f"/v1/workers/{worker_id}/fees", json=fee, headers=VILLAGE_OFFICER)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["legality"] == legality and answer["occupation"] == occupation
    assert answer["version"] == 2 and answer["reason"]
    event = (await events_of(db, worker_id))[-1]
    assert (event.type, event.sequence) == ("fee-charged", 2)
    assert event.data["legality"] == legality and event.data["occupation"] == occupation
    assert event.data["fee_id"] == answer["id"] and event.data["amount"] == 1500000.5
    assert event.data["component"] == component and event.data["agency_id"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"component": "bribe"}, "component"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "rupiah"}, "currency"),
        ({"charged_on": "2999-01-01"}, "charged_on"),
        ({"agency_id": str(uuid.uuid4())}, "agency_id"),
    ],
)
async def test_a_bad_fee_is_422_naming_the_field(client, db, change, field):
    worker_id = await register(client)
    before = await counts(db)
    fee = {"component": "passport", "amount": 100, "currency": "IDR", "charged_on": "2024-01-01"}
    response = await client.post(
        f"/v1/workers/{worker_id}/fees", json={**fee, **change}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 422, response.text
    assert any(e["loc"][:2] == ["body", field] for e in response.json()["detail"])
    assert await counts(db) == before


# Agencies -------------------------------------------------------------------------------------
async def test_agency_licence_suspension_and_revocation(client, db):
    body = {"name": "PT Maju Bersama", "licence_no": f"LIC-{uuid.uuid4().hex[:8]}", "area": "53.71"}
    for headers in (PROVINCE_OFFICER, VILLAGE_OFFICER, auth("monitor", "ID")):
        response = await client.post("/v1/agencies", json=body, headers=headers)
        assert response.status_code == 403
    response = await client.post("/v1/agencies", json=body, headers=MINISTRY)
    assert response.status_code == 201
    agency = response.json()
    assert (agency["status"], agency["version"], agency["area"]) == ("licensed", 1, "53.71")
    response = await client.post("/v1/agencies", json=body, headers=MINISTRY)
    assert response.status_code == 409 and response.json()["agency_id"] == agency["id"]
    response = await client.get(f"/v1/agencies/{agency['id']}", headers=auth("monitor", "53"))
    assert response.status_code == 200 and response.json()["name"] == "PT Maju Bersama"

    # A province officer suspends agencies seated in their province only.
    reason = {"reason": "illegal_fees", "note": "charged illegal fees; inspection 14/2026"}
    response = await client.post(
        f"/v1/agencies/{agency['id']}/suspension",
        json=reason,
        headers=auth("province-officer", "11"),
    )
    assert response.status_code == 403
    response = await client.post(
        f"/v1/agencies/{agency['id']}/suspension", json=reason, headers=PROVINCE_OFFICER
    )
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert response.json()["reason"] == "illegal_fees"
    assert response.json()["note"] == reason["note"]
    response = await client.post(
        f"/v1/agencies/{agency['id']}/suspension", json=reason, headers=MINISTRY
    )
    assert response.status_code == 409
    # The note stays with those who sanction agencies; the code is public.
    seen = (await client.get(f"/v1/agencies/{agency['id']}", headers=auth("monitor", "53"))).json()
    assert (seen["reason"], seen["note"]) == ("illegal_fees", None)

    # Facts about a suspended agency are still recorded, with a warning.
    worker_id = await register(client, procedural=False)
    response = await client.post(
        f"/v1/workers/{worker_id}/departures",
        json=departure(channel="p3mi", agency_id=agency["id"]),
        headers=VILLAGE_OFFICER,
    )
    assert response.status_code == 201
    assert response.json()["agency_status"] == "suspended" and response.json()["warnings"]

    response = await client.post(
        f"/v1/agencies/{agency['id']}/revocation", json=reason, headers=PROVINCE_OFFICER
    )
    assert response.status_code == 403
    response = await client.post(
        f"/v1/agencies/{agency['id']}/revocation", json=reason, headers=MINISTRY
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert response.json()["version"] == 3
    response = await client.post(
        f"/v1/agencies/{agency['id']}/revocation", json=reason, headers=MINISTRY
    )
    assert response.status_code == 409

    fee = {
        "component": "passport",
        "amount": 100,
        "currency": "IDR",
        "charged_on": "2024-01-01",
        "agency_id": agency["id"],
    }
    response = await client.post(f"/v1/workers/{worker_id}/fees", json=fee, headers=VILLAGE_OFFICER)
    assert response.status_code == 201 and response.json()["agency_status"] == "revoked"

    events = await events_of(db, agency["id"])
    assert [(e.type, e.sequence, e.area) for e in events] == [
        ("agency-licensed", 1, "53.71"),
        ("agency-suspended", 2, "53.71"),
        ("agency-revoked", 3, "53.71"),
    ]
    # Events carry the reason's code, never the officer's note.
    assert [e.data.get("reason") for e in events[1:]] == ["illegal_fees", "illegal_fees"]
    assert all(reason["note"] not in e.to_json().decode() for e in events)
    topics = await db.fetch("SELECT DISTINCT topic FROM outbox WHERE key = $1", agency["id"])
    assert [r["topic"] for r in topics] == ["registry.agency.v1"]


async def test_bad_agencies_are_422(client, db):
    before = await counts(db)
    for body, field in [
        ({"name": "PT X", "licence_no": "L-1", "area": "99"}, "area"),
        ({"name": "PT X", "licence_no": "L-1", "area": "53.71.01.1001"}, "area"),
        ({"name": "", "licence_no": "L-1"}, "name"),
        ({"name": "PT X"}, "licence_no"),
    ]:
        response = await client.post("/v1/agencies", json=body, headers=MINISTRY)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
    response = await client.post(
        f"/v1/agencies/{uuid.uuid4()}/suspension", json={"reason": "other"}, headers=MINISTRY
    )
    assert response.status_code == 404
    response = await client.post(
        f"/v1/agencies/{uuid.uuid4()}/suspension",
        json={"reason": "5371015403980001 Maria"},
        headers=MINISTRY,
    )
    assert response.status_code == 422 and "5371015403980001" not in response.text
    response = await client.post(
        f"/v1/agencies/{uuid.uuid4()}/suspension", json={}, headers=MINISTRY
    )
    assert response.status_code == 422
    assert await counts(db) == before


# Idempotency-Key ------------------------------------------------------------------------------
async def test_the_same_key_and_body_replay_the_first_answer(client, db):
    body = registration()
    headers = {**VILLAGE_OFFICER, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await client.post("/v1/workers", json=body, headers=headers)
    assert first.status_code == 201
    before = await counts(db)
    again = await client.post("/v1/workers", json=dict(reversed(body.items())), headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await counts(db) == before

    mismatch = await client.post("/v1/workers", json=registration(), headers=headers)
    assert mismatch.status_code == 422
    [error] = mismatch.json()["detail"]
    assert error["loc"] == ["header", "Idempotency-Key"] and "different request" in error["msg"]
    assert await counts(db) == before


async def test_keys_are_per_principal_and_per_endpoint(client, db):
    key = f"k-{uuid.uuid4()}"
    worker_id = await register(client)
    verify = await client.post(
        f"/v1/workers/{worker_id}/verification", headers={**REGENCY_OFFICER, "Idempotency-Key": key}
    )
    assert verify.status_code == 200
    replay = await client.post(
        f"/v1/workers/{worker_id}/verification", headers={**REGENCY_OFFICER, "Idempotency-Key": key}
    )
    assert replay.status_code == 200 and replay.headers.get("idempotent-replayed") == "true"
    # Another principal with the same key is a different request altogether: evaluated afresh.
    other = await client.post(
        f"/v1/workers/{worker_id}/verification",
        headers={**PROVINCE_OFFICER, "Idempotency-Key": key},
    )
    assert other.status_code == 409
    # The same principal reusing the key on another endpoint is a mismatch.
    fee = {"component": "passport", "amount": 100, "currency": "IDR", "charged_on": "2024-01-01"}
    response = await client.post(
        f"/v1/workers/{worker_id}/fees",
        json=fee,
        headers={**REGENCY_OFFICER, "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert [e.type for e in await events_of(db, worker_id)] == [
        "worker-registered",
        "worker-verified",
    ]


async def test_a_refused_request_does_not_store_its_key(client, db):
    key = f"k-{uuid.uuid4()}"
    worker_id = await register(client)
    headers = {**REGENCY_OFFICER, "Idempotency-Key": key}
    response = await client.post(
        f"/v1/workers/{worker_id}/returns", json={"returned_on": "2025-01-01"}, headers=headers
    )
    assert response.status_code == 409
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0


async def test_concurrent_duplicates_under_one_key_write_once(client, db):
    body = registration()
    headers = {**VILLAGE_OFFICER, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    before = await counts(db)
    answers = await asyncio.gather(
        *(client.post("/v1/workers", json=body, headers=headers) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    after = await counts(db)
    assert after["workers"] == before["workers"] + 1 and after["outbox"] == before["outbox"] + 1


async def test_a_malformed_key_is_422(client):
    response = await client.post(
        "/v1/workers", json=registration(), headers={**VILLAGE_OFFICER, "Idempotency-Key": "a b"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_old_keys_are_purged(client, db):
    key = f"k-{uuid.uuid4()}"
    await client.post(
        "/v1/workers", json=registration(), headers={**VILLAGE_OFFICER, "Idempotency-Key": key}
    )
    await db.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '4 days' WHERE key = $1", key
    )
    async with db.transaction():
        purged = await idempotency.purge(db, older_than=timedelta(hours=72))
    assert purged >= 1
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0


# Concurrency ----------------------------------------------------------------------------------
async def test_concurrent_registrations_of_one_nik_register_one_worker(client, db):
    body = registration()
    before = await counts(db)
    answers = await asyncio.gather(
        *(client.post("/v1/workers", json=body, headers=VILLAGE_OFFICER) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409]
    after = await counts(db)
    assert after["workers"] == before["workers"] + 1 and after["outbox"] == before["outbox"] + 1


async def test_concurrent_writes_on_one_worker_get_consecutive_sequences(client, db):
    worker_id = await register(client)
    fee = {"component": "passport", "amount": 100, "currency": "IDR", "charged_on": "2024-01-01"}
    answers = await asyncio.gather(
        *(
            client.post(f"/v1/workers/{worker_id}/fees", json=fee, headers=VILLAGE_OFFICER)
            for _ in range(8)
        )
    )
    assert sorted(a.json()["version"] for a in answers) == list(range(2, 10))
    events = await events_of(db, worker_id)
    assert [e.sequence for e in events] == list(range(1, 10)), "outbox order = sequence order"


async def test_a_province_sees_its_regencies_and_a_regency_does_not_see_its_neighbour(client):
    worker_id = await register(client, headers=PROVINCE_OFFICER, village=OTHER_REGENCY)
    seen_by_province = await client.get(
        "/v1/workers", params={"village": "53.01", "limit": 100}, headers=PROVINCE_OFFICER
    )
    assert worker_id in {w["id"] for w in seen_by_province.json()["items"]}
    seen_by_regency = await client.get(
        "/v1/workers", params={"limit": 100}, headers=REGENCY_OFFICER
    )
    assert all(w["village"].startswith("53.71.") for w in seen_by_regency.json()["items"])
    assert worker_id not in {w["id"] for w in seen_by_regency.json()["items"]}
    response = await client.get(f"/v1/workers/{worker_id}", headers=REGENCY_OFFICER)
    assert response.status_code == 403


# Plumbing -------------------------------------------------------------------------------------
async def test_a_correlation_id_is_made_when_none_is_sent(client):
    response = await client.get("/health/live")
    assert response.status_code == 200 and len(response.headers["x-correlation-id"]) == 32


async def test_openapi_is_complete(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/v1/")
    ]
    assert len(operations) >= 11
    for path, method, op in operations:
        assert op.get("tags") and op.get("summary"), (path, method)
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, (path, method)
        content = op["responses"][success[0]].get("content", {})
        assert "schema" in content.get("application/json", {}), (path, method)
        if method == "post":
            assert {"401", "403", "422"} <= set(op["responses"]), (path, method)
            assert any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])), path
    schemas = spec["components"]["schemas"]
    for name in ("WorkerIn", "DepartureIn", "FeeIn", "AgencyIn", "ReturnIn"):
        assert schemas[name].get("examples"), name
    assert {t["name"] for t in spec["tags"]} >= {"workers", "fees", "agencies", "health"}
