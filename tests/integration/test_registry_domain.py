"""Domain rules through the registry's API over a real PostgreSQL: the zero-cost rule on the day a
fee was charged, NIKs under retired district codes, and registrations entered after the fact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pantau.simulate import make_nik
from tests.integration.test_registry_api import (  # the module's fixtures and helpers
    MINISTRY,
    REGENCY_OFFICER,
    VILLAGE_OFFICER,
    client,
    counts,
    db,
    departure,
    dsn,
    events_of,
    register,
    registration,
)

__all__ = ["client", "db", "dsn"]  # fixtures used by name

MALAKA_VILLAGE = "53.21.01.2001"  # Barene, Malaka Tengah, Malaka (Belu until 2013)
MERAUKE_VILLAGE = "93.01.01.1004"  # Mandala, Merauke (91.01.01 until 2022)


async def _fee(client, worker_id: str, **fields: Any) -> dict[str, Any]:
    body = {"component": "passport", "amount": 350000, "currency": "IDR", **fields}
    response = await client.post(f"/v1/workers/{worker_id}/fees", json=body, headers=MINISTRY)
    assert response.status_code == 201, response.text
    return dict(response.json())


# Item 16: the occupation on the day the fee was charged -----------------------------------------
async def test_a_fee_reported_after_the_placement_is_judged_by_the_job_applied_for(client, db):
    # A housekeeper applicant's passport fee charged 2024-01-20, reported only after she was
    # placed as a factory worker on 2024-02-01.
    worker_id = await register(client, occupation="housekeeper")
    base = f"/v1/workers/{worker_id}"
    response = await client.post(f"{base}/verification", json={}, headers=REGENCY_OFFICER)
    assert response.status_code == 200
    placed = departure(occupation="factory_worker", departed_on="2024-02-01")
    response = await client.post(f"{base}/departures", json=placed, headers=VILLAGE_OFFICER)
    assert response.status_code == 201, response.text

    late = await _fee(client, worker_id, charged_on="2024-01-20")
    assert (late["legality"], late["occupation"], late["occupation_basis"]) == (
        "illegal",
        "housekeeper",
        "applied_for",
    )
    assert "housekeeper (the job applied for, before any placement)" in late["reason"]
    during = await _fee(client, worker_id, charged_on="2024-03-01")
    assert (during["legality"], during["occupation"], during["occupation_basis"]) == (
        "warning",
        "factory_worker",
        "placement",
    )
    fees = [e for e in await events_of(db, worker_id) if e.type == "fee-charged"]
    assert [(e.data["occupation"], e.data["legality"]) for e in fees] == [
        ("housekeeper", "illegal"),
        ("factory_worker", "warning"),
    ]
    record = (await client.get(base, headers=MINISTRY)).json()
    assert [(f["charged_on"], f["legality"]) for f in record["fees"]] == [
        ("2024-01-20", "illegal"),
        ("2024-03-01", "warning"),
    ]


async def test_a_fee_between_placements_is_judged_by_the_placement_it_prepared(client):
    worker_id = await register(client, occupation="factory_worker")
    base = f"/v1/workers/{worker_id}"
    await client.post(f"{base}/verification", json={}, headers=REGENCY_OFFICER)
    first = departure(occupation="factory_worker", departed_on="2022-01-10")
    assert (await client.post(f"{base}/departures", json=first, headers=MINISTRY)).is_success
    back = {"returned_on": "2024-01-10"}
    assert (await client.post(f"{base}/returns", json=back, headers=MINISTRY)).is_success
    second = departure(occupation="housekeeper", departed_on="2024-09-01", contract_end=None)
    assert (await client.post(f"{base}/departures", json=second, headers=MINISTRY)).is_success

    answer = await _fee(client, worker_id, component="job_training", charged_on="2024-05-02")
    assert (answer["occupation"], answer["occupation_basis"], answer["legality"]) == (
        "housekeeper",
        "next_placement",
        "illegal",
    )
    ticket = await _fee(client, worker_id, component="return_ticket", charged_on="2024-01-10")
    assert (ticket["occupation"], ticket["occupation_basis"]) == ("factory_worker", "placement")


@pytest.mark.parametrize(
    ("occupation", "legality"),
    [("caregiver", "illegal"), ("institutional_caregiver", "warning")],
)
async def test_a_household_caregiver_does_not_escape_the_rule(client, occupation, legality):
    worker_id = await register(client, occupation=occupation)
    answer = await _fee(client, worker_id, component="job_training", charged_on="2024-04-01")
    assert (answer["occupation"], answer["legality"]) == (occupation, legality)


# Item 17: NIKs under retired district codes -----------------------------------------------------
async def test_a_belu_nik_from_before_malaka_registers_in_malaka(client, db):
    body = registration(
        village=MALAKA_VILLAGE,
        nik=make_nik("53.04.08", date(1991, 3, 14), "female", 311),
        birth_date="1991-03-14",
    )
    response = await client.post("/v1/workers", json=body, headers=MINISTRY)
    assert response.status_code == 201, response.text
    record = (await client.get(f"/v1/workers/{response.json()['id']}", headers=MINISTRY)).json()
    assert record["nik"] == body["nik"] and record["village"] == MALAKA_VILLAGE


async def test_a_merauke_nik_from_before_the_papua_division_registers(client):
    body = registration(
        village=MERAUKE_VILLAGE,
        sex="male",
        nik=make_nik("91.01.01", date(1984, 10, 2), "male", 77),
        birth_date="1984-10-02",
    )
    response = await client.post("/v1/workers", json=body, headers=MINISTRY)
    assert response.status_code == 201, response.text


async def test_a_district_code_that_never_existed_is_refused(client, db):
    before = await counts(db)
    body = registration(
        village=MALAKA_VILLAGE,
        nik=make_nik("53.04.25", date(1991, 3, 14), "female", 312),
        birth_date="1991-03-14",
    )
    response = await client.post("/v1/workers", json=body, headers=MINISTRY)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "nik"]
    assert "5304" not in response.text
    assert await counts(db) == before


# Item 5: registrations entered after the fact --------------------------------------------------
async def test_a_registration_may_carry_the_day_it_was_made(client, db):
    body = registration(registered_on="2025-03-04")
    response = await client.post("/v1/workers", json=body, headers=VILLAGE_OFFICER)
    assert response.status_code == 201, response.text
    worker_id = response.json()["id"]
    [event] = await events_of(db, worker_id)
    assert event.data["registered_on"] == "2025-03-04"
    record = (await client.get(f"/v1/workers/{worker_id}", headers=VILLAGE_OFFICER)).json()
    assert record["registered_on"] == "2025-03-04"
    assert record["registered_at"].startswith(datetime.now(UTC).date().isoformat()[:4])


async def test_registered_on_defaults_to_today(client, db):
    worker_id = await register(client)
    [event] = await events_of(db, worker_id)
    assert event.data["registered_on"] == datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize(
    "registered_on",
    [
        (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),  # the future
        "2017-11-21",  # before Law 18/2017
        "0001-01-01",
        "2025-02-30",
    ],
)
async def test_an_implausible_registration_day_is_422_and_writes_nothing(client, db, registered_on):
    before = await counts(db)
    body = registration(registered_on=registered_on)
    response = await client.post("/v1/workers", json=body, headers=VILLAGE_OFFICER)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "registered_on"]
    assert await counts(db) == before


async def test_age_is_judged_on_the_day_of_registration(client):
    # Born 2008-06-01: 17 at a registration in 2025, but not yet born for one dated 2018.
    born = date(2008, 6, 1)
    body = registration(nik=make_nik("53.71.01", born, "female", 913), birth_date=born.isoformat())
    response = await client.post(
        "/v1/workers", json={**body, "registered_on": "2018-02-01"}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 422
    assert {tuple(d["loc"]) for d in response.json()["detail"]} >= {("body", "birth_date")}
    response = await client.post(
        "/v1/workers", json={**body, "registered_on": "2025-02-01"}, headers=VILLAGE_OFFICER
    )
    assert response.status_code == 201, response.text
