"""The cases API over a real PostgreSQL: intake, who sees what, the workflow's refusals, consent
and its audited override, assignment by the survivor's requested sex, break the glass.

The app runs with its lifespan but without relay or broker: events are read from the outbox,
worker facts are fed to the replica as the registry's events. Reports and triage are in
test_cases_reports.py; the path through the broker in test_cases_events.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.cases import (
    MINISTRY,
    OFFICER,
    OTHER_REGENCY,
    OTHER_VILLAGE,
    PROVINCE,
    PROVINCE_OFFICER,
    REGENCY,
    REGENCY_OFFICER,
    SUPERVISOR,
    VILLAGE,
    auth,
    cases_client,
    counts,
    departed,
    feed_replica,
    offline_service,
    offline_settings,
    outbox_events,
    registered,
    unregistered,
    worker_event,
)

pytestmark = pytest.mark.integration


# One cases database and app for the module (tests/support/cases.py): dsn, client, db.
dsn, client, db = offline_service()


async def open_case(
    client: httpx.AsyncClient, body: dict[str, Any] | None = None, headers: Any = OFFICER
) -> dict[str, Any]:
    response = await client.post("/v1/cases", json=body or unregistered(), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def step(
    client: httpx.AsyncClient, case_id: str, path: str, body: dict[str, Any], headers: Any
) -> httpx.Response:
    return await client.post(f"/v1/cases/{case_id}/{path}", json=body, headers=headers)


async def add_case_worker(
    client: httpx.AsyncClient, sex: str, area: str = REGENCY, supervisor: Any = SUPERVISOR
) -> str:
    subject = f"cw-{sex}-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/v1/case-workers",
        json={"subject": subject, "sex": sex, "area": area},
        headers=supervisor,
    )
    assert response.status_code == 201, response.text
    return subject


# -- intake ----------------------------------------------------------------------------------------
async def test_a_case_for_a_registered_worker_takes_her_facts_from_the_replica(client, dsn, db):
    worker_id, agency_id = uuid.uuid4(), uuid.uuid4()
    await feed_replica(
        dsn,
        [
            worker_event(worker_id, 1, registered(procedural=True), OTHER_VILLAGE),
            worker_event(worker_id, 2, departed(agency_id), OTHER_VILLAGE),
        ],
    )
    body = {
        "worker_id": str(worker_id),
        "category": "unpaid_wages",
        "channel": "phone",
        "narrative": "Gaji tidak dibayar sejak Maret.",
        "consent": {"referral": True, "sharing": True},
    }
    opened = await open_case(client, body, REGENCY_OFFICER)
    assert (opened["level"], opened["status"], opened["verified"]) == ("regency", "new", True)
    assert opened["due_clock"] == "documents_incomplete"

    (event,) = await outbox_events(db, opened["id"])
    assert (event.type, event.sequence, event.area, event.source) == (
        "case-opened",
        1,
        OTHER_VILLAGE,
        "cases",
    )
    assert event.version == 2 and event.data["registered_worker"] is True
    assert "worker_id" not in event.data and str(worker_id) not in event.model_dump_json()
    assert event.data["agency_id"] == str(agency_id), "the worker's placement agency by default"
    assert (event.data["sex"], event.data["procedural"]) == ("female", True)
    assert event.data["due_on"] == opened["due_on"]
    assert "narrative" not in event.data and "Gaji" not in event.model_dump_json()


async def test_trafficking_and_any_gbv_type_start_at_the_province(client):
    trafficking = await open_case(client, unregistered(category="trafficking"))
    violence = await open_case(
        client, unregistered(category="employer_violence", gbv_type="physical_assault")
    )
    assert trafficking["level"] == violence["level"] == "province"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (unregistered(village=None), "village"),
        (unregistered(sex=None), "sex"),
        (unregistered(village="53.71.01.9999"), "village"),  # the shape of a village, unknown
        (unregistered(village="53.71"), "village"),
        (unregistered(category="homesick"), "category"),
        (unregistered(channel="public_report"), "channel"),
        (unregistered(narrative=""), "narrative"),
        (unregistered(narrative="a\x00b"), "narrative"),
        (unregistered(narrative="x" * 10_001), "narrative"),
        (unregistered(opened_on="0001-01-01"), "opened_on"),
        (unregistered(opened_on="2099-01-01"), "opened_on"),
        (unregistered(worker_id=str(uuid.uuid4())), "worker_id"),
        (unregistered(gbv_type="rape", consent={"referral": "maybe"}), "referral"),
        (unregistered(nik="5371015403980001"), "nik"),
    ],
)
async def test_every_bad_intake_is_a_422_naming_the_field_and_writes_nothing(
    client, db, body, field
):
    before = await counts(db)
    response = await client.post("/v1/cases", json=body, headers=OFFICER)
    assert response.status_code == 422, response.text
    assert any(field in error["loc"] for error in response.json()["detail"]), response.text
    assert "5371015403980001" not in response.text
    assert await counts(db) == before


async def test_a_case_outside_the_officers_village_is_403_and_writes_nothing(client, db):
    before = await counts(db)
    response = await client.post(
        "/v1/cases", json=unregistered(village=OTHER_VILLAGE), headers=OFFICER
    )
    assert response.status_code == 403
    assert await counts(db) == before


async def test_intake_by_worker_id_checks_the_area_before_comparing_anything(client, dsn, db):
    """An officer elsewhere learns nothing of a worker by naming her id: neither whether she is
    registered, nor her sex, nor her village (review finding 4)."""
    worker_id = uuid.uuid4()
    await feed_replica(dsn, [worker_event(worker_id, 1, registered())])  # female, in VILLAGE
    aceh = auth("village-officer", "11.01.01.2001")
    before = await counts(db)
    answers = []
    for given_id in (str(worker_id), str(uuid.uuid4())):  # registered in NTT; never registered
        for given in (
            {"sex": "female"},
            {"sex": "male"},
            {"village": VILLAGE},
            {"village": OTHER_VILLAGE},
        ):
            body = {
                "worker_id": given_id,
                "category": "unpaid_wages",
                "channel": "walk_in",
                "narrative": "Gaji tidak dibayar.",
                **given,
            }
            response = await client.post("/v1/cases", json=body, headers=aceh)
            answers.append((response.status_code, response.json()))
    assert {status for status, _ in answers} == {422}
    assert len({str(body) for _, body in answers}) == 1  # one answer, whatever was guessed
    assert answers[0][1]["detail"][0]["loc"][-1] == "worker_id"
    assert await counts(db) == before
    # inside the area, a disagreeing sex is still named
    body = {
        "worker_id": str(worker_id),
        "sex": "male",
        "category": "unpaid_wages",
        "channel": "walk_in",
        "narrative": "Gaji tidak dibayar.",
    }
    wrong = await client.post("/v1/cases", json=body, headers=OFFICER)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "sex"


async def test_closing_as_a_duplicate_of_a_case_out_of_sight_is_as_of_an_unknown_case(client, db):
    mine = await open_case(client)
    elsewhere = await open_case(client, unregistered(village=OTHER_VILLAGE), REGENCY_OFFICER)
    before = await counts(db)
    answers = []
    for target in (elsewhere["id"], str(uuid.uuid4())):
        closure = {"reason": "duplicate", "merged_into": target}
        response = await step(client, mine["id"], "closure", closure, OFFICER)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and answers[0][1]["detail"][0]["loc"][-1] == "merged_into"
    # a case the caller may not change is refused first, whatever merged_into names
    outside = await step(
        client,
        elsewhere["id"],
        "closure",
        {"reason": "duplicate", "merged_into": str(uuid.uuid4())},
        OFFICER,
    )
    assert outside.status_code == 403
    assert await counts(db) == before
    # the regency sees both: the duplicate closes
    closure = {"reason": "duplicate", "merged_into": elsewhere["id"]}
    closed = await step(client, mine["id"], "closure", closure, REGENCY_OFFICER)
    assert closed.status_code == 200, closed.text


async def test_intake_is_idempotent_under_a_key(client, db):
    headers = {**OFFICER, "Idempotency-Key": f"intake-{uuid.uuid4()}"}
    first = await client.post("/v1/cases", json=unregistered(), headers=headers)
    before = await counts(db)
    again = await client.post("/v1/cases", json=unregistered(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await counts(db) == before
    other = await client.post("/v1/cases", json=unregistered(category="sick"), headers=headers)
    assert other.status_code == 422


# -- who sees what ---------------------------------------------------------------------------------
async def test_a_regency_officer_sees_the_category_but_never_the_narrative(client, db):
    narrative = "Dia dipukul majikan dan paspornya ditahan. Rahasia-7731."
    opened = await open_case(client, unregistered(narrative=narrative, category="sick"))

    read = await client.get(f"/v1/cases/{opened['id']}", headers=REGENCY_OFFICER)
    assert read.status_code == 200
    case = read.json()
    assert (case["category"], case["level"], case["status"]) == ("sick", "village", "new")
    assert case["seen"] == "summary" and case["file"] is None
    assert "Rahasia-7731" not in read.text and "female" not in read.text

    listed = await client.get("/v1/cases", params={"area": REGENCY}, headers=REGENCY_OFFICER)
    assert opened["id"] in [c["id"] for c in listed.json()["items"]]
    assert "Rahasia-7731" not in listed.text

    file = await client.get(f"/v1/cases/{opened['id']}", headers=SUPERVISOR)
    assert file.json()["seen"] == "file"
    assert file.json()["file"]["narrative"] == narrative

    audited = await db.fetch(
        "SELECT role, action, what FROM audit_log WHERE case_id = $1 ORDER BY id", opened["id"]
    )
    reads = [(r["role"], r["what"]) for r in audited if r["action"] == "case.read"]
    assert reads == [("regency-officer", "summary"), ("supervisor", "file")]
    assert ("regency-officer", "case.list") in {(r["role"], r["action"]) for r in audited}


async def test_outside_the_jurisdiction_a_read_is_refused_and_audited(client, db):
    opened = await open_case(client)
    elsewhere = auth("village-officer", OTHER_VILLAGE)
    response = await client.get(f"/v1/cases/{opened['id']}", headers=elsewhere)
    assert response.status_code == 403
    assert VILLAGE not in response.text
    what = await db.fetchval(
        "SELECT what FROM audit_log WHERE case_id = $1 AND action = 'case.read'", opened["id"]
    )
    assert what == "none"
    operator = auth("operator", "ID")
    assert (await client.get(f"/v1/cases/{opened['id']}", headers=operator)).status_code == 403
    assert (await client.get("/v1/cases", headers=operator)).status_code == 403
    monitor = await client.get(f"/v1/cases/{opened['id']}", headers=auth("monitor", PROVINCE))
    assert monitor.json()["seen"] == "summary"


async def test_listing_filters_and_pages_within_the_jurisdiction(client):
    opened = await open_case(client, unregistered(category="debt_bondage"))
    page = await client.get(
        "/v1/cases",
        params={"category": "debt_bondage", "level": "village", "status": "new", "limit": 1},
        headers=PROVINCE_OFFICER,
    )
    assert page.status_code == 200
    assert [c["id"] for c in page.json()["items"]] == [opened["id"]] or page.json()["next_offset"]
    outside = await client.get("/v1/cases", params={"area": "52"}, headers=PROVINCE_OFFICER)
    assert outside.status_code == 403


# -- the workflow ----------------------------------------------------------------------------------
async def test_an_impossible_transition_is_409_and_changes_nothing(client, db):
    opened = await open_case(client, unregistered(documents_complete=True))
    case_id = opened["id"]
    before = await counts(db)
    for path, body in [
        ("closure", {"reason": "resolved"}),
        ("actions", {"action": "case_plan"}),
        ("actions", {"action": "services_completed"}),
        ("reopening", {"reason": "new_information"}),
        ("closure", {"reason": "documents_incomplete"}),
    ]:
        response = await step(client, case_id, path, body, OFFICER)
        assert response.status_code == 409, (path, body, response.text)
    assert await counts(db) == before

    for action in ("assessment", "case_plan", "medical", "services_completed"):
        response = await step(client, case_id, "actions", {"action": action}, OFFICER)
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "services_implemented"
    closed = await step(client, case_id, "closure", {"reason": "resolved"}, OFFICER)
    assert closed.json()["status"] == "closed" and closed.json()["due_on"] is None
    again = await step(client, case_id, "closure", {"reason": "resolved"}, OFFICER)
    assert again.status_code == 409
    reopened = await step(client, case_id, "reopening", {"reason": "problem_recurred"}, OFFICER)
    assert reopened.json()["status"] == "assessment"

    published = await outbox_events(db, case_id)
    assert [e.sequence for e in published] == list(range(1, len(published) + 1))
    assert [e.type for e in published][-2:] == ["case-closed", "case-reopened"]
    assert published[-2].data["reason"] == "resolved"


async def test_a_deadline_step_moves_the_deadline_the_events_carry(client, db):
    opened = await open_case(client)
    assert opened["due_clock"] == "documents_incomplete"
    done = await step(client, opened["id"], "actions", {"action": "documents_completed"}, OFFICER)
    assert (done.json()["due_on"], done.json()["due_clock"]) == (None, None)
    asked = await step(
        client, opened["id"], "actions", {"action": "clarification_requested"}, OFFICER
    )
    assert asked.json()["due_clock"] == "clarification_unanswered"
    events = await outbox_events(db, opened["id"])
    assert [(e.data["due_on"], e.data["due_clock"]) for e in events[1:]] == [
        (None, None),
        (asked.json()["due_on"], "clarification_unanswered"),
    ]
    future = await step(
        client, opened["id"], "actions", {"action": "medical", "taken_on": "2099-01-01"}, OFFICER
    )
    assert future.status_code == 422 and future.json()["detail"][0]["loc"][-1] == "taken_on"


async def test_escalation_goes_one_level_up_and_out_of_the_village_officers_hands(client, db):
    opened = await open_case(client)
    up = await step(client, opened["id"], "escalation", {"reason": "no_progress"}, OFFICER)
    assert up.json()["level"] == "regency"
    again = await step(client, opened["id"], "escalation", {"reason": "no_progress"}, OFFICER)
    assert again.status_code == 403, "handled by the regency now"
    for headers, level in [(REGENCY_OFFICER, "province"), (PROVINCE_OFFICER, "national")]:
        response = await step(
            client,
            opened["id"],
            "escalation",
            {"reason": "needs_action_abroad", "note": "x"},
            headers,
        )
        assert response.json()["level"] == level
    top = await step(client, opened["id"], "escalation", {"reason": "risk_to_life"}, MINISTRY)
    assert top.status_code == 409
    escalations = [
        e.data for e in await outbox_events(db, opened["id"]) if e.type == "case-escalated"
    ]
    assert [(e["from_level"], e["to_level"]) for e in escalations] == [
        ("village", "regency"),
        ("regency", "province"),
        ("province", "national"),
    ]
    assert all("note" not in e for e in escalations)


# -- consent and referral --------------------------------------------------------------------------
async def test_a_referral_without_consent_is_refused_unless_a_supervisor_overrides(client, db):
    opened = await open_case(client, unregistered(category="trafficking"))
    case_id = opened["id"]
    before = await counts(db)
    refused = await step(client, case_id, "referral", {"to": "police"}, PROVINCE_OFFICER)
    assert refused.status_code == 409 and "consent" in refused.json()["detail"]
    officer_override = await step(
        client,
        case_id,
        "referral",
        {"to": "police", "override_reason": "the survivor is in danger tonight"},
        PROVINCE_OFFICER,
    )
    assert officer_override.status_code == 403
    too_short = await step(
        client, case_id, "referral", {"to": "police", "override_reason": "urgent"}, SUPERVISOR
    )
    assert too_short.status_code == 422
    assert too_short.json()["detail"][0]["loc"][-1] == "override_reason"
    assert await counts(db) == before

    reason = "Korban dalam bahaya malam ini; polisi harus bertindak."
    done = await step(
        client, case_id, "referral", {"to": "police", "override_reason": reason}, SUPERVISOR
    )
    assert done.status_code == 200, done.text
    (referred,) = [e for e in await outbox_events(db, case_id) if e.type == "case-referred"]
    assert referred.data == {
        "to": "police",
        "consent": False,
        "consent_overridden": True,
        "file_shared": False,
    }
    # The audit row names the referral; the reason stays on the referral's row (free text
    # never goes into audit_log, which holds ids, roles and area codes only).
    audited = await db.fetchrow(
        "SELECT actor, role, referral_id FROM audit_log WHERE case_id = $1"
        " AND action = 'case.consent_override'",
        uuid.UUID(case_id),
    )
    assert (audited["actor"], audited["role"]) == ("supervisor.ntt", "supervisor")
    referral = await db.fetchrow(
        "SELECT override_reason FROM case_referrals WHERE id = $1", audited["referral_id"]
    )
    assert referral["override_reason"] == reason
    assert not await audit_rows_holding(db, reason)
    file = (await client.get(f"/v1/cases/{case_id}", headers=SUPERVISOR)).json()["file"]
    assert file["referrals"][0]["override_reason"] == reason


async def audit_rows_holding(db: Any, text: str) -> list[Any]:
    """Every audit row any of whose columns holds ``text``."""
    rows = await db.fetch(
        "SELECT a::text AS row FROM audit_log AS a WHERE strpos(a::text, $1) > 0", text
    )
    return list(rows)


async def test_with_recorded_consent_the_case_worker_refers_and_shares_the_file(client, db):
    subject = await add_case_worker(client, "female")
    opened = await open_case(client)
    assigned = await step(client, opened["id"], "assignment", {"assignee": subject}, OFFICER)
    assert assigned.status_code == 200, assigned.text
    case_worker = auth("case-worker", REGENCY, sub=subject)
    consent = await step(
        client, opened["id"], "consent", {"referral": True, "sharing": True}, case_worker
    )
    assert consent.status_code == 200
    referred = await step(client, opened["id"], "referral", {"to": "uptd_ppa.53"}, case_worker)
    assert referred.status_code == 200
    (event,) = [e for e in await outbox_events(db, opened["id"]) if e.type == "case-referred"]
    assert (event.data["consent"], event.data["file_shared"]) == (True, True)
    bad = await step(client, opened["id"], "referral", {"to": "Polres Kupang"}, case_worker)
    assert bad.status_code == 422


# -- assignment ------------------------------------------------------------------------------------
async def test_assignment_honours_the_requested_sex_when_one_is_available(client, db):
    woman = await add_case_worker(client, "female", PROVINCE)
    man = await add_case_worker(client, "male", PROVINCE)
    opened = await open_case(client, unregistered(requested_case_worker_sex="female"))
    refused = await step(client, opened["id"], "assignment", {"assignee": man}, OFFICER)
    assert refused.status_code == 409
    honoured = await step(client, opened["id"], "assignment", {"assignee": woman}, OFFICER)
    assert honoured.status_code == 200 and honoured.json()["assigned"]
    (event,) = [e for e in await outbox_events(db, opened["id"]) if e.type == "case-assigned"]
    assert event.data["requested_sex_honoured"] is True
    assert woman not in event.model_dump_json(), "the event names the pseudonymous id only"
    unknown = await step(client, opened["id"], "assignment", {"assignee": "nobody"}, OFFICER)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "assignee"


async def test_when_no_case_worker_of_the_requested_sex_is_available_it_is_recorded(client, db):
    only_man = await add_case_worker(client, "male", "52.01", auth("supervisor", "52"))
    elsewhere = auth("village-officer", "52.01.01.1001")
    body = unregistered(village="52.01.01.1001", requested_case_worker_sex="female")
    opened = await open_case(client, body, elsewhere)
    done = await step(client, opened["id"], "assignment", {"assignee": only_man}, elsewhere)
    assert done.status_code == 200, done.text
    (event,) = [e for e in await outbox_events(db, opened["id"]) if e.type == "case-assigned"]
    assert event.data["requested_sex_honoured"] is False


async def test_the_assigned_case_worker_reads_the_file_and_others_do_not(client):
    subject = await add_case_worker(client, "female")
    opened = await open_case(client, unregistered(narrative="Cerita rahasia 4412."))
    await step(client, opened["id"], "assignment", {"assignee": subject}, OFFICER)
    mine = await client.get(
        f"/v1/cases/{opened['id']}", headers=auth("case-worker", REGENCY, sub=subject)
    )
    assert mine.json()["file"]["narrative"] == "Cerita rahasia 4412."
    listed = await client.get(
        "/v1/cases", params={"mine": "true"}, headers=auth("case-worker", REGENCY, sub=subject)
    )
    assert [c["id"] for c in listed.json()["items"]] == [opened["id"]]
    other = await client.get(
        f"/v1/cases/{opened['id']}", headers=auth("case-worker", REGENCY, sub="someone-else")
    )
    assert other.json()["seen"] == "summary" and "4412" not in other.text


# -- break the glass -------------------------------------------------------------------------------
async def test_breaking_the_glass_opens_the_file_for_a_while_with_a_stated_reason(client, db):
    opened = await open_case(client, unregistered(narrative="Dia di Entikong malam ini."))
    outsider = auth("case-worker", OTHER_REGENCY, sub="cw-belu")
    assert (await client.get(f"/v1/cases/{opened['id']}", headers=outsider)).status_code == 403
    short = await client.post(
        f"/v1/cases/{opened['id']}/break-glass", json={"reason": "help"}, headers=outsider
    )
    assert short.status_code == 422
    reason = "Korban datang ke kantor kami di Atambua dan butuh bantuan sekarang."
    grant = await client.post(
        f"/v1/cases/{opened['id']}/break-glass", json={"reason": reason}, headers=outsider
    )
    assert grant.status_code == 201, grant.text
    read = await client.get(f"/v1/cases/{opened['id']}", headers=outsider)
    assert read.json()["file"]["narrative"] == "Dia di Entikong malam ini."
    assert read.json()["grant_expires_at"] == grant.json()["expires_at"]
    rows = await db.fetch(
        "SELECT action, what, grant_id FROM audit_log WHERE case_id = $1"
        " AND actor = 'cw-belu' ORDER BY id",
        uuid.UUID(opened["id"]),
    )
    assert [(r["action"], r["what"]) for r in rows] == [
        ("case.read", "none"),
        ("case.break_glass", f"file until {grant.json()['expires_at'].replace('Z', '+00:00')}"),
        ("case.read", "file"),
    ]
    # the grant's row keeps the reason; the audit rows name the grant, never the reason
    assert str(rows[1]["grant_id"]) == str(rows[2]["grant_id"]) == grant.json()["grant_id"]
    kept = await db.fetchval(
        "SELECT reason FROM break_glass_grants WHERE id = $1", uuid.UUID(grant.json()["grant_id"])
    )
    assert kept == reason
    assert not await audit_rows_holding(db, reason)
    by_right = await client.post(
        f"/v1/cases/{opened['id']}/break-glass", json={"reason": reason}, headers=SUPERVISOR
    )
    assert by_right.status_code == 409
    officer = await client.post(
        f"/v1/cases/{opened['id']}/break-glass", json={"reason": reason}, headers=OFFICER
    )
    assert officer.status_code == 403


async def test_break_the_glass_reaches_the_province_only_and_is_no_oracle_of_case_ids(client, db):
    opened = await open_case(client, unregistered(narrative="Korban di Kupang, rahasia 7781."))
    reason = "Korban datang ke kantor kami dan butuh bantuan sekarang."
    before = await counts(db)
    answers = []
    for case_id in (opened["id"], str(uuid.uuid4())):  # a real NTT case, then no case at all
        for role in ("case-worker", "supervisor"):
            far = auth(role, "11", sub=f"{role}.aceh")  # Aceh: another province
            answer = await client.post(
                f"/v1/cases/{case_id}/break-glass", json={"reason": reason}, headers=far
            )
            answers.append((answer.status_code, answer.json()))
        short = await client.post(
            f"/v1/cases/{case_id}/break-glass",
            json={"reason": "help"},  # too short: still 404 outside the province
            headers=auth("case-worker", "11.01.01.2001"),
        )
        answers.append((short.status_code, short.json()))
    assert {status for status, _ in answers} == {404}
    assert len({str(body) for _, body in answers}) == 1  # the same body, whatever the id
    assert await counts(db) == before  # no grant, no audit row
    far = auth("case-worker", "11", sub="case-worker.aceh")
    read = await client.get(f"/v1/cases/{opened['id']}", headers=far)
    assert read.status_code == 403 and "7781" not in read.text
    # a ministry-level case worker (area ID) reaches every province
    national = auth("case-worker", "ID", sub="cw.ministry")
    granted = await client.post(
        f"/v1/cases/{opened['id']}/break-glass", json={"reason": reason}, headers=national
    )
    assert granted.status_code == 201, granted.text


async def test_break_the_glass_grants_per_caller_are_limited(make_database):
    dsn = await make_database("services.cases")
    settings = offline_settings(
        dsn, migrate_on_start=False, rate_limits_enabled=True, limit_break_glass="2/day"
    )
    reason = "Korban datang ke kantor kami dan butuh bantuan sekarang."
    caller = auth("case-worker", OTHER_REGENCY, sub="cw-busy")
    async with cases_client(settings) as (_, client):
        ids = [(await open_case(client))["id"] for _ in range(3)]

        async def glass(case_id: str, headers: Any = caller) -> httpx.Response:
            return await client.post(
                f"/v1/cases/{case_id}/break-glass", json={"reason": reason}, headers=headers
            )

        # only grants made spend: a refusal (too short, by right) leaves the budget as it was
        short = await client.post(
            f"/v1/cases/{ids[0]}/break-glass", json={"reason": "help"}, headers=caller
        )
        assert short.status_code == 422
        assert [(await glass(i)).status_code for i in ids[:2]] == [201, 201]
        spent = await glass(ids[2])
        assert spent.status_code == 429 and int(spent.headers["Retry-After"]) >= 1
        # once spent, every id gets the same answer: still no oracle of which ids exist
        unknown = await glass(str(uuid.uuid4()))
        assert (unknown.status_code, unknown.json()) == (429, spent.json())
        conn = await asyncpg.connect(dsn)
        try:
            granted = await conn.fetchval(
                "SELECT count(*) FROM break_glass_grants WHERE subject = 'cw-busy'"
            )
        finally:
            await conn.close()
        assert granted == 2
        # the budget is the caller's: another case worker still may
        other = auth("case-worker", OTHER_REGENCY, sub="cw-other")
        assert (await glass(ids[2], other)).status_code == 201


# -- the directory ---------------------------------------------------------------------------------
async def test_supervisors_keep_the_directory_within_their_area(client):
    subject = await add_case_worker(client, "female", VILLAGE)
    taken = await client.post(
        "/v1/case-workers",
        json={"subject": subject, "sex": "female", "area": REGENCY},
        headers=SUPERVISOR,
    )
    assert taken.status_code == 409
    outside = await client.post(
        "/v1/case-workers", json={"subject": "x", "sex": "male", "area": "52"}, headers=SUPERVISOR
    )
    assert outside.status_code == 403
    listed = await client.get("/v1/case-workers", params={"area": VILLAGE}, headers=OFFICER)
    assert subject in [w["subject"] for w in listed.json()["items"]]
    assert (
        await client.post(
            "/v1/case-workers",
            json={"subject": "y", "sex": "male", "area": REGENCY},
            headers=REGENCY_OFFICER,
        )
    ).status_code == 403
