"""Reports by workers and families over a real PostgreSQL: sent without an account, followed up
by receipt, triaged by an officer (confirmed, merged, rejected); nothing identifying the
reporter in an answer, a log line, an event or the audit trail; limited per address."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.cases import (
    OFFICER,
    REGENCY,
    REGENCY_OFFICER,
    VILLAGE,
    auth,
    cases_client,
    counts,
    feed_replica,
    offline_service,
    offline_settings,
    outbox_events,
    registered,
    unregistered,
    worker_event,
)

pytestmark = pytest.mark.integration

CONTACT = "WA 0812-3456-7890 (kakak laki-laki, sore hari)"
ACCOUNT = "Adik saya di Kuching dipukul majikan; paspornya ditahan agen. Kode-5581."


def report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "regency": REGENCY,
        "category": "employer_violence",
        "sex": "female",
        "narrative": ACCOUNT,
        "contact": CONTACT,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# One cases database and app for the module (tests/support/cases.py): dsn, client, db.
dsn, client, db = offline_service()


async def send(client: httpx.AsyncClient, body: dict[str, Any] | None = None) -> str:
    response = await client.post("/v1/reports", json=body or report())
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"receipt"}
    return str(response.json()["receipt"])


async def case_of(db: asyncpg.Connection, receipt: str) -> str:
    from services.cases.reports.receipts import digest

    case_id = await db.fetchval(
        "SELECT case_id FROM reports WHERE receipt_digest = $1", digest(receipt)
    )
    return str(case_id)


async def status(client: httpx.AsyncClient, receipt: str) -> str:
    response = await client.get(f"/v1/reports/{receipt}")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"status"}
    return str(response.json()["status"])


async def test_a_workers_report_becomes_a_triaged_case(client, db):
    receipt = await send(client)
    assert await status(client, receipt) == "received"
    assert await status(client, receipt.lower().replace("-", " ")) == "received"
    case_id = await case_of(db, receipt)

    # Untriaged, it takes no action; a village officer does not see its file, the regency does.
    action = await client.post(
        f"/v1/cases/{case_id}/actions", json={"action": "assessment"}, headers=REGENCY_OFFICER
    )
    assert action.status_code == 409
    triaging = (await client.get(f"/v1/cases/{case_id}", headers=REGENCY_OFFICER)).json()
    assert triaging["seen"] == "file"
    assert triaging["file"]["reporter_contact"] == CONTACT
    assert (triaging["verified"], triaging["level"], triaging["area"]) == (
        False,
        "regency",
        REGENCY,
    )
    village = await client.get(f"/v1/cases/{case_id}", headers=OFFICER)
    assert village.status_code == 403, "a report naming only the regency is not the village's"

    confirmed = await client.post(
        f"/v1/cases/{case_id}/confirmation",
        json={
            "category": "employer_violence",
            "gbv_type": "physical_assault",
            "sex": "female",
            "village": VILLAGE,
        },
        headers=REGENCY_OFFICER,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["verified"], confirmed.json()["level"]) == (True, "province")
    assert await status(client, receipt) == "being_handled"

    opened, verified = await outbox_events(db, case_id)
    assert (opened.type, opened.area, opened.sequence) == ("case-opened", REGENCY, 1)
    assert (opened.data["verified"], opened.data["channel"]) == (False, "public_report")
    assert opened.correlation_id is None
    assert (verified.type, verified.area, verified.sequence) == ("case-verified", VILLAGE, 2)
    assert (verified.data["gbv_type"], verified.data["level"]) == ("physical_assault", "province")
    again = await client.post(
        f"/v1/cases/{case_id}/confirmation",
        json={"category": "sick", "sex": "female"},
        headers=auth("province-officer", "53"),
    )
    assert again.status_code == 409, "triage happens once"


async def test_confirming_with_a_worker_elsewhere_answers_as_an_unknown_worker(client, dsn, db):
    """Triage tells nobody the sex or the village of a worker outside the reported area
    (review finding 4): the area is checked before a given sex is compared."""
    here, elsewhere = uuid.uuid4(), uuid.uuid4()
    await feed_replica(
        dsn,
        [
            worker_event(here, 1, registered()),  # female, in VILLAGE (in the reported regency)
            worker_event(elsewhere, 1, registered(), "53.01.04.2003"),  # another regency
        ],
    )
    case_id = await case_of(db, await send(client))
    before = await counts(db)
    answers = []
    for worker_id in (elsewhere, uuid.uuid4()):
        for sex in ("female", "male"):
            facts = {"category": "employer_violence", "worker_id": str(worker_id), "sex": sex}
            response = await client.post(
                f"/v1/cases/{case_id}/confirmation", json=facts, headers=REGENCY_OFFICER
            )
            answers.append((response.status_code, response.json()))
    assert {status for status, _ in answers} == {422}
    assert len({str(body) for _, body in answers}) == 1
    assert answers[0][1]["detail"][0]["loc"][-1] == "worker_id"
    assert await counts(db) == before
    wrong = await client.post(
        f"/v1/cases/{case_id}/confirmation",
        json={"category": "employer_violence", "worker_id": str(here), "sex": "male"},
        headers=REGENCY_OFFICER,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "sex"
    right = await client.post(
        f"/v1/cases/{case_id}/confirmation",
        json={"category": "employer_violence", "worker_id": str(here)},
        headers=REGENCY_OFFICER,
    )
    assert right.status_code == 200, right.text


async def test_a_report_merged_into_an_open_case_follows_that_case(client, db):
    target = await client.post("/v1/cases", json=unregistered(), headers=OFFICER)
    receipt = await send(client, report(regency=None, village=VILLAGE, category="unpaid_wages"))
    case_id = await case_of(db, receipt)
    into_itself = await client.post(
        f"/v1/cases/{case_id}/merge", json={"into": case_id}, headers=OFFICER
    )
    assert into_itself.status_code == 422
    merged = await client.post(
        f"/v1/cases/{case_id}/merge",
        json={"into": target.json()["id"], "note": "sama dengan kasus Maria"},
        headers=OFFICER,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "closed"
    assert await status(client, receipt) == "being_handled"
    (_, closed) = await outbox_events(db, case_id)
    assert closed.data["reason"] == "duplicate"
    assert closed.data["merged_into"] == target.json()["id"]
    assert "Maria" not in closed.model_dump_json()
    assert len(await outbox_events(db, target.json()["id"])) == 1, "nothing published on it"
    file = await client.get(f"/v1/cases/{target.json()['id']}", headers=auth("supervisor", "53"))
    assert file.json()["file"]["merged_reports"] == [case_id]
    await client.post(
        f"/v1/cases/{target.json()['id']}/closure", json={"reason": "withdrawn"}, headers=OFFICER
    )
    assert await status(client, receipt) == "closed"


async def test_a_rejected_report_is_not_taken_up(client, db):
    receipt = await send(client, report(regency=None, village=VILLAGE))
    case_id = await case_of(db, receipt)
    rejected = await client.post(
        f"/v1/cases/{case_id}/rejection",
        json={"reason": "false_report", "note": "nomor tidak aktif"},
        headers=OFFICER,
    )
    assert rejected.status_code == 200, rejected.text
    assert await status(client, receipt) == "not_taken_up"
    assert (
        await db.fetchval("SELECT rejection FROM reports WHERE case_id = $1", uuid.UUID(case_id))
        == "false_report"
    )
    (_, closed) = await outbox_events(db, case_id)
    assert closed.data["reason"] == "report_rejected" and "nomor" not in closed.model_dump_json()
    opened = await client.post("/v1/cases", json=unregistered(), headers=OFFICER)
    not_a_report = await client.post(
        f"/v1/cases/{opened.json()['id']}/rejection", json={"reason": "abusive"}, headers=OFFICER
    )
    assert not_a_report.status_code == 409


async def test_nothing_identifies_the_reporter(client, db, capfd):
    response = await client.post(
        "/v1/reports",
        json=report(),
        headers={"X-Request-ID": "reporter-phone-5371015403980001", "User-Agent": "Kakak/1.0"},
    )
    assert response.status_code == 202
    receipt = response.json()["receipt"]
    shown = response.text + str(dict(response.headers))
    for secret in ("5371015403980001", "reporter-phone", CONTACT, "Kode-5581", "198.51.100.7"):
        assert secret not in shown
    case_id = await case_of(db, receipt)
    (event,) = await outbox_events(db, case_id)
    assert event.correlation_id is None
    for secret in (CONTACT, "Kode-5581", "0812", receipt):
        assert secret not in event.model_dump_json()
    (row,) = await db.fetch(
        "SELECT actor, role, correlation_id FROM audit_log WHERE case_id = $1",
        uuid.UUID(case_id),
    )
    assert dict(row) == {"actor": "public", "role": "public", "correlation_id": None}
    stored = await db.fetchrow("SELECT * FROM reports WHERE case_id = $1", uuid.UUID(case_id))
    assert receipt not in str(dict(stored)) and receipt.replace("-", "") not in str(dict(stored))
    logs = capfd.readouterr()
    for secret in (CONTACT, "Kode-5581", "198.51.100.7", receipt, "reporter-phone", "Kakak"):
        assert secret not in logs.out + logs.err


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(regency=None), "village"),
        (report(regency="53.99"), "regency"),
        (report(regency=None, village="53.71.01.9999"), "village"),
        (report(village=VILLAGE, regency="52.01"), "regency"),
        (report(sex=None), "sex"),
        (report(category="lonely"), "category"),
        (report(narrative=" "), "narrative"),
        (report(narrative="\x00"), "narrative"),
        (report(contact="x" * 201), "contact"),
        (report(contact="a\x1b[31mb"), "contact"),
        (report(gbv_type="5371015403980001"), "gbv_type"),
        (report(name="Maria"), "name"),
    ],
)
async def test_every_bad_report_is_a_422_naming_the_field_and_writes_nothing(
    client, db, body, field
):
    before = await counts(db)
    response = await client.post("/v1/reports", json=body)
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["detail"]), response.text
    assert "5371015403980001" not in response.text and "Maria" not in response.text
    assert await counts(db) == before


@pytest.mark.parametrize("receipt", ["nonsense", "0" * 41, "7KQM-2XRD-9PBA-VN4", "%00%00"])
async def test_a_malformed_receipt_is_a_422(client, receipt):
    response = await client.get(f"/v1/reports/{receipt}")
    assert response.status_code == 422
    assert receipt not in response.text
    # The receipt is a path parameter: the error says so, not "body".
    assert [e["loc"] for e in response.json()["detail"]] == [["path", "receipt"]]


async def test_an_unknown_receipt_is_a_404(client):
    response = await client.get("/v1/reports/7KQM-2XRD-9PBA-VN4T")
    assert response.status_code == 404


async def test_a_flood_of_reports_from_one_address_is_answered_429(make_database):
    dsn = await make_database("services.cases")
    settings = offline_settings(
        dsn,
        migrate_on_start=False,
        rate_limits_enabled=True,
        limit_public_writes="3/minute",
        limit_public_reads="2/minute",
    )
    async with cases_client(settings) as (_, client):
        receipts = [await send(client) for _ in range(3)]
        conn = await asyncpg.connect(dsn)
        try:
            before = await counts(conn)
            flooded = await client.post("/v1/reports", json=report())
            assert flooded.status_code == 429
            assert int(flooded.headers["Retry-After"]) >= 1
            assert await counts(conn) == before
        finally:
            await conn.close()
        assert [(await client.get(f"/v1/reports/{r}")).status_code for r in receipts] == [
            200,
            200,
            429,
        ]
