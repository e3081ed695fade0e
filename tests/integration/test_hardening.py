"""What a hostile tester hit (issue 17, items 9-14), each kept as a test over the real database.

- 9: control characters (a NUL byte) in any text field or a token's subject: 422 naming the
  field (401 for the token), never echoed, nothing written;
- 10: numbers and dates out of any plausible range (offset 2^63, a date of year 1): 422;
- 11: nothing the caller sends travels into events, logs or headers by a side path (request
  ids, query strings); no error echoes its input;
- 12: duplicate-NIK refusals are audited, counted and limited per caller (429);
- 13: requests without a valid token and expensive reads are limited (429 with Retry-After);
  every answer carries the security headers, pages a strict CSP;
- 14: weak secrets are refused outside development.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from shared.service.app import WeakSecrets, check_secrets
from shared.settings import DEV_TOKEN_SECRET, AuthSettings, secret_problems, secret_weakness
from tests.support.database import connection, fresh_database
from tests.support.registry import offline_settings, worker_body

pytestmark = pytest.mark.integration

VILLAGE = "53.71.01.1004"
NIK_LIKE = "5371015403980001"
_serials = itertools.count(7_000)


def auth(role: str, area: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area, sub=sub)}"}


OFFICER = auth("village-officer", VILLAGE)
MINISTRY = auth("ministry", "ID")


def registration(**overrides: Any) -> dict[str, Any]:
    serial = next(_serials)
    born = date(1970, 1, 1) + timedelta(days=serial % 4_000 * 3)
    body = worker_body(serial, born, VILLAGE, name="Hardening Worker")
    body.update(overrides)
    return body


dsn = fresh_database("services.registry")
db = connection()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def registry(dsn: str) -> AsyncIterator[FastAPI]:
    settings = offline_settings(dsn, limit_duplicate_nik="2/hour", limit_auth_failures="5/minute")
    app = create_registry(settings)
    async with app.router.lifespan_context(app):
        yield app


ClientAt = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def client_at(registry: FastAPI) -> ClientAt:
    """A client of the registry calling from ``address`` (each test its own budgets)."""

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=registry, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://registry")

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def client(client_at: ClientAt) -> AsyncIterator[httpx.AsyncClient]:
    async with client_at("10.9.0.1") as http:
        yield http


async def written(db: asyncpg.Connection) -> int:
    tables = ("workers", "departures", "fees", "agencies", "outbox", "audit_log")
    return sum([int(await db.fetchval(f"SELECT count(*) FROM {t}")) for t in tables])


def assert_refused_without_echo(response: httpx.Response, status: int, *secrets: str) -> None:
    assert response.status_code == status, response.text
    for secret in secrets:
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())


async def register(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post("/v1/workers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# 9 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/workers", {"name": "Maria\x00Lende"}, "name"),
        ("/v1/workers", {"name": "Maria\x1b[2JLende"}, "name"),
        ("/v1/workers", {"name": "Maria\nLende"}, "name"),
        ("/v1/workers", {"name": "Maria \ud800"}, "name"),
        ("/v1/agencies", {"name": "PT Nul\x00"}, "name"),
        ("/v1/agencies", {"licence_no": "KEP-\x00-1"}, "licence_no"),
        ("/v1/agencies", {"name": f"PT {NIK_LIKE}"}, "name"),
        ("/v1/agencies", {"licence_no": "KEP\t1"}, "licence_no"),
    ],
)
async def test_control_characters_in_text_are_422_naming_the_field(client, db, path, body, field):
    base = (
        registration()
        if path == "/v1/workers"
        else {"name": "PT Aman", "licence_no": f"L-{uuid.uuid4().hex[:6]}", "area": "53.71"}
    )
    headers = OFFICER if path == "/v1/workers" else MINISTRY
    before = await written(db)
    sent = json.dumps({**base, **body}).encode()
    response = await client.post(
        path, content=sent, headers={**headers, "Content-Type": "application/json"}
    )
    assert_refused_without_echo(response, 422, *[v for v in body.values() if v != "Maria \ud800"])
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    assert await written(db) == before


async def test_a_token_whose_subject_holds_a_nul_byte_is_401(client, db):
    claims = {
        "sub": "officer\x00" + NIK_LIKE,
        "role": "village-officer",
        "area": VILLAGE,
        "exp": int(time.time()) + 600,
    }
    token = jwt.encode(claims, AuthSettings().token_secret, algorithm="HS256")
    before = await written(db)
    response = await client.post(
        "/v1/workers", json=registration(), headers={"Authorization": f"Bearer {token}"}
    )
    assert_refused_without_echo(response, 401, NIK_LIKE)
    assert await written(db) == before


# 10 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/workers", "/v1/agencies"])
@pytest.mark.parametrize("offset", [2**63, 2**64 + 5, 10**7, -1])
async def test_paging_past_any_plausible_offset_is_422(client, path, offset):
    response = await client.get(path, params={"offset": offset}, headers=MINISTRY)
    assert_refused_without_echo(response, 422, str(offset))
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


async def test_dates_of_year_one_are_422(client, db):
    worker_id = await register(client, OFFICER, registration())
    before = await written(db)
    verify = await client.post(
        f"/v1/workers/{worker_id}/verification",
        json={"verified_on": "0001-01-01"},
        headers=MINISTRY,
    )
    assert verify.status_code == 422
    assert verify.json()["detail"][0]["loc"] == ["body", "verified_on"]
    fee = {"component": "passport", "amount": 1, "currency": "IDR", "charged_on": "0001-01-01"}
    response = await client.post(f"/v1/workers/{worker_id}/fees", json=fee, headers=OFFICER)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "charged_on"]
    response = await client.post(
        "/v1/workers", json=registration(birth_date="0001-01-01"), headers=OFFICER
    )
    assert response.status_code == 422
    assert await written(db) == before


# 11 ------------------------------------------------------------------------------------------
async def test_a_request_id_never_travels_into_headers_events_audit_or_logs(client, db):
    with capture_logs() as entries:
        response = await client.post(
            f"/v1/workers?nik={NIK_LIKE}",
            json=registration(),
            headers={**OFFICER, "X-Request-ID": NIK_LIKE, "X-Correlation-ID": NIK_LIKE},
        )
    assert response.status_code == 201
    correlation_id = response.headers["x-correlation-id"]
    assert NIK_LIKE not in correlation_id and "x-request-id" not in response.headers
    worker_id = response.json()["id"]
    payload = bytes(await db.fetchval("SELECT payload FROM outbox WHERE key = $1", worker_id))
    assert (
        NIK_LIKE.encode() not in payload and json.loads(payload)["correlation_id"] == correlation_id
    )
    audit = await db.fetchval(
        "SELECT correlation_id FROM audit_log WHERE worker_id = $1", uuid.UUID(worker_id)
    )
    assert audit == correlation_id
    assert NIK_LIKE not in repr(entries)
    [access] = [e for e in entries if e["event"] == "request"]
    assert access["route"] == "/v1/workers" and access["status"] == 201

    # The same request id again (a retry) gives the same correlation id.
    again = await client.get("/v1/agencies", headers={**MINISTRY, "X-Request-ID": NIK_LIKE})
    assert again.headers["x-correlation-id"] == correlation_id


def test_the_servers_own_access_log_is_off_while_the_service_runs(registry):
    # uvicorn's access log prints the raw request line, query string included.
    assert logging.getLogger("uvicorn.access").disabled


async def test_no_error_echoes_its_input(client):
    probes = [
        client.get(f"/v1/workers/{NIK_LIKE}", headers=OFFICER),
        client.get("/v1/workers", params={"village": NIK_LIKE}, headers=OFFICER),
        client.post("/v1/workers", json={"nik": NIK_LIKE, NIK_LIKE: NIK_LIKE}, headers=OFFICER),
        client.post("/v1/agencies", content=f'{{"name": "{NIK_LIKE}', headers=MINISTRY),
        client.post(
            "/v1/workers", json=registration(), headers={**OFFICER, "Idempotency-Key": b"\xe4" * 3}
        ),
    ]
    for probe in probes:
        response = await probe
        assert 400 <= response.status_code < 500
        assert_refused_without_echo(response, response.status_code, NIK_LIKE, "ä")


# 12 ------------------------------------------------------------------------------------------
async def test_duplicate_nik_probes_are_audited_counted_and_limited_per_caller(client, db):
    prober = auth("village-officer", VILLAGE, sub=f"prober-{uuid.uuid4().hex[:6]}")
    limited_before = REGISTRY.get_sample_value("registry_duplicate_nik_limited_total") or 0.0
    bodies = [registration() for _ in range(4)]
    existing = [await register(client, OFFICER, body) for body in bodies]
    answers = [
        await client.post("/v1/workers", json={**body, "name": "Probe"}, headers=prober)
        for body in bodies[:3]
    ]
    # The third is refused before it is looked up: it probes nothing.
    assert [a.status_code for a in answers] == [409, 409, 429]
    assert int(answers[2].headers["retry-after"]) >= 1
    probes = await db.fetch(
        "SELECT worker_id FROM audit_log WHERE action = 'worker.register.duplicate'"
        " AND actor LIKE 'prober-%' AND worker_id = ANY($1)",
        [uuid.UUID(w) for w in existing],
    )
    assert {str(r["worker_id"]) for r in probes} == set(existing[:2])
    # Once spent, every registration of that caller waits: a 201 would tell as much as a 409.
    fresh = await client.post("/v1/workers", json=registration(), headers=prober)
    assert fresh.status_code == 429
    assert REGISTRY.get_sample_value("registry_duplicate_nik_limited_total") >= limited_before + 2
    # Another caller is not affected.
    await register(client, OFFICER, registration())


# 13 ------------------------------------------------------------------------------------------
async def test_requests_without_a_valid_token_are_limited_per_address(client_at):
    valid = auth("ministry", "ID", sub=f"known-{uuid.uuid4().hex[:6]}")
    async with client_at("10.9.0.13") as client:
        assert (await client.get("/v1/agencies", headers=valid)).status_code == 200
        bad = {"Authorization": "Bearer not.a.token"}
        answers = [(await client.get("/v1/agencies", headers=bad)).status_code for _ in range(7)]
        assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
        refused = await client.get("/v1/agencies", headers=bad)
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["retry_after"] >= 1
        # A token not seen before waits too; one already verified goes on.
        fresh = auth("ministry", "ID", sub=f"fresh-{uuid.uuid4().hex[:6]}")
        assert (await client.get("/v1/agencies", headers=fresh)).status_code == 429
        assert (await client.get("/v1/agencies", headers=valid)).status_code == 200
    async with client_at("10.9.0.14") as elsewhere:
        assert (await elsewhere.get("/v1/agencies", headers=bad)).status_code == 401


async def test_every_answer_carries_the_security_headers(client):
    for response in (
        await client.get("/v1/agencies", headers=MINISTRY),
        await client.get("/v1/agencies"),
        await client.get("/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest_asyncio.fixture(loop_scope="session")
async def reporting(make_database) -> AsyncIterator[httpx.AsyncClient]:
    """The reporting API on an empty database, without consumers (no broker needed)."""
    dsn = await make_database("services.reporting")
    app = create_reporting(
        ReportingSettings(
            database_url=dsn, limit_expensive_reads="2/minute", limit_auth_failures="50/minute"
        )
    )
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        transport = httpx.ASGITransport(app=app, client=("10.9.1.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as http:
            yield http
    finally:
        await app.state.pool.close()


async def test_reporting_limits_expensive_reads_per_caller(reporting, monkeypatch):
    from services.reporting import as_of

    async def rebuilt(settings: Any, day: date) -> dict[Any, Any]:
        return {}  # the rebuild from the log, faked: no figures

    monkeypatch.setattr(as_of, "rebuild_cube", rebuilt)
    url = "/v1/areas/53/summary/as-of/2026-01-01"
    caller = auth("province-officer", "53")
    answers = [(await reporting.get(url, headers=caller)).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    export = await reporting.get(
        "/v1/areas/53/export.csv", params={"as_of": "2026-01-01"}, headers=caller
    )
    assert export.status_code == 429 and int(export.headers["retry-after"]) >= 1


async def test_reporting_errors_never_echo_their_input(reporting):
    caller = auth("ministry", "ID")
    for url in (
        f"/v1/areas/{NIK_LIKE}/summary",
        f"/v1/areas/53/summary/as-of/{NIK_LIKE}",
        f"/v1/areas/53/series?from={NIK_LIKE}",
        f"/v1/areas/53/export.csv?as_of={NIK_LIKE}",
        "/v1/areas/53/summary/as-of/0001-01-01",
    ):
        response = await reporting.get(url, headers=caller)
        assert_refused_without_echo(response, 422, NIK_LIKE, "0001-01-01")
        assert all("input" not in e for e in response.json()["detail"])


async def test_reporting_refuses_figures_as_of_a_day_after_today(reporting, monkeypatch):
    from services.reporting import as_of

    async def rebuilt(settings: Any, day: date) -> dict[Any, Any]:
        return {}  # the rebuild from the log, faked: no figures

    monkeypatch.setattr(as_of, "rebuild_cube", rebuilt)
    caller = auth("ministry", "ID")
    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    for url, where in (
        (f"/v1/areas/53/summary/as-of/{tomorrow}", ["path", "day"]),
        (f"/v1/areas/53/export.csv?as_of={tomorrow}", ["query", "as_of"]),
        ("/v1/areas/53/export.csv?as_of=2099-01-01", ["query", "as_of"]),
    ):
        response = await reporting.get(url, headers=caller)
        assert response.status_code == 422, url
        [error] = response.json()["detail"]
        assert error["loc"] == where and error["type"] == "date_in_future"
        assert today.isoformat() in error["msg"]  # today named, the day sent never echoed
        assert tomorrow not in response.text and "2099" not in response.text
    today_answer = await reporting.get(
        f"/v1/areas/53/summary/as-of/{today.isoformat()}", headers=caller
    )
    assert today_answer.status_code == 200


async def test_figures_as_of_a_day_without_a_reachable_log_are_a_503(reporting):
    """The rebuild reads the topics; this fixture's node has no broker to read them from."""
    today = datetime.now(UTC).date().isoformat()
    answer = await reporting.get(
        f"/v1/areas/53/summary/as-of/{today}", headers=auth("ministry", "ID")
    )
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) >= 1
    assert "event log" in answer.json()["detail"]


async def test_the_dashboard_has_a_strict_content_security_policy(reporting):
    page = await reporting.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe" not in policy and "connect-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert 'URLSearchParams(location.search).get("token")' not in page.text


# 14 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaaaaaaaa", "password12345678", DEV_TOKEN_SECRET, "x" * 64, "ab" * 20]
)
def test_weak_secrets_are_named(weak):
    assert secret_weakness(weak) is not None
    [problem] = secret_problems(AuthSettings(token_secret=weak))
    assert problem.startswith("PANTAU_TOKEN_SECRET is ") and weak not in problem


def test_outside_development_a_service_with_a_weak_secret_does_not_start(monkeypatch):
    monkeypatch.delenv("PANTAU_DEV", raising=False)
    strong = "4f1c9a7e2b8d6035c1e9f7a2b4d8c6e0a3f5b7d9e1c2a4f6b8d0e2c4a6f8b1d3"
    assert secret_weakness(strong) is None
    monkeypatch.setenv("PANTAU_TOKEN_SECRET", strong)
    settings = RegistrySettings(nik_hmac_secret="password12345678")
    with pytest.raises(WeakSecrets) as refused:
        check_secrets(settings)
    message = str(refused.value)
    assert "\n" not in message and "REGISTRY_NIK_HMAC_SECRET" in message
    assert "password12345678" not in message
    check_secrets(RegistrySettings(nik_hmac_secret=strong[::-1]))
    monkeypatch.setenv("PANTAU_DEV", "1")
    check_secrets(RegistrySettings())
