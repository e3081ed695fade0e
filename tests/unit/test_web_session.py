"""The front-end foundation over HTTP: sign-in, the session cookie, CSRF, area search, /static/.

A kit-built app with one route of its own, driven in-process (no database, no broker: these
routes need neither)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import ClassVar

import httpx
import pytest
from fastapi import APIRouter

from shared.auth import CSRF_HEADER, SESSION_COOKIE, CurrentPrincipal, issue_token
from shared.service.app import build_app
from shared.settings import ServiceSettings
from shared.web.assets import IMMUTABLE, MANIFEST, REVALIDATE

CSRF = {CSRF_HEADER: "1"}
things = APIRouter()


@things.get("/v1/things")
async def read_things(principal: CurrentPrincipal) -> dict[str, str]:
    return {"area": principal.area}


@things.post("/v1/things")
async def write_things(principal: CurrentPrincipal) -> dict[str, str]:
    return {"written_by": principal.sub}


class DemoSettings(ServiceSettings):
    service: ClassVar[str] = "demo"


def make_client(**settings: object) -> httpx.AsyncClient:
    app = build_app(DemoSettings(**settings), title="demo", routers=[things])  # type: ignore[arg-type]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8009"
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


async def sign_in(client: httpx.AsyncClient, **body: str) -> httpx.Response:
    return await client.post("/auth/session", json=body, headers=CSRF)


def set_cookie(response: httpx.Response) -> str:
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    return header


async def test_signing_in_sets_an_http_only_strict_cookie_that_authenticates(client):
    response = await sign_in(client, role="regency-officer", area="53.71", name="maria")
    assert response.status_code == 200
    session = response.json()
    assert session["role"] == "regency-officer" and session["area_name"] == "KOTA KUPANG"
    assert session["name"] == "maria" and session["level"] == "regency"
    cookie = set_cookie(response).lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "max-age=28800" in cookie and "domain" not in cookie
    assert "secure" not in cookie  # development over plain HTTP on 127.0.0.1
    assert response.headers["cache-control"] == "no-store"

    assert (await client.get("/v1/things")).json() == {"area": "53.71"}
    assert (await client.get("/auth/session")).json()["name"] == "maria"


async def test_unsafe_requests_by_cookie_need_the_csrf_header(client):
    await sign_in(client, role="monitor", area="53")
    refused = await client.post("/v1/things")
    assert refused.status_code == 403 and CSRF_HEADER in refused.json()["detail"]
    assert (await client.post("/v1/things", headers=CSRF)).json() == {"written_by": "monitor@53"}
    # A bearer caller sends its token itself: no CSRF header needed, and the token wins.
    token = issue_token("ministry", "ID", sub="api-client")
    bearer = await client.post("/v1/things", headers={"Authorization": f"Bearer {token}"})
    assert bearer.json() == {"written_by": "api-client"}


async def test_signing_in_and_out_need_the_csrf_header(client):
    assert (
        await client.post("/auth/session", json={"role": "monitor", "area": "53"})
    ).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    await sign_in(client, role="monitor", area="53")
    assert (await client.delete("/auth/session")).status_code == 403
    out = await client.delete("/auth/session", headers=CSRF)
    assert out.status_code == 204 and "max-age=0" in set_cookie(out).lower()
    assert SESSION_COOKIE not in client.cookies
    assert (await client.get("/v1/things")).status_code == 401


async def test_without_a_session_the_answer_is_401_pointing_to_the_sign_in_page(client):
    response = await client.get("/auth/session")
    assert response.status_code == 401 and "/sign-in" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "sultan", "area": "53"}, "role"),
        ({"role": "village-officer", "area": "53.71"}, "area"),  # not a village
        ({"role": "ministry", "area": "53"}, "area"),
        ({"role": "monitor", "area": "99.99"}, "area"),  # no such area
        ({"role": "monitor", "area": "5371015403980001"}, "area"),
        ({"role": "monitor", "area": "53", "name": "has space"}, "name"),
        ({"role": "monitor", "area": "53", "name": "x" * 129}, "name"),
        ({"role": "monitor", "area": "53", "token": "5371015403980001"}, "token"),
    ],
)
async def test_a_bad_sign_in_is_422_naming_the_field_without_echo(client, body, field):
    response = await client.post("/auth/session", json=body, headers=CSRF)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    for value in body.values():
        if value not in ("monitor", "village-officer", "ministry"):
            assert value not in response.text
    assert "set-cookie" not in response.headers


async def test_outside_development_the_form_is_refused(client, monkeypatch):
    monkeypatch.delenv("PANTAU_DEV")
    response = await sign_in(client, role="ministry", area="ID")
    assert response.status_code == 403 and "identity provider" in response.json()["detail"]
    assert "set-cookie" not in response.headers
    page = await client.get("/sign-in")
    assert 'data-mode="identity-provider"' in page.text
    assert '<form class="p-card p-form" id="dev-form" novalidate hidden' in page.text
    assert '<section class="p-card" id="not-configured">' in page.text


async def test_outside_development_the_page_links_to_the_identity_provider(client, monkeypatch):
    monkeypatch.delenv("PANTAU_DEV")
    monkeypatch.setenv("PANTAU_SIGN_IN_URL", "https://login.example.go.id/pantau?a=1&b=2")
    page = (await client.get("/sign-in")).text
    assert 'href="https://login.example.go.id/pantau?a=1&amp;b=2"' in page
    assert '<section class="p-card" id="provider">' in page


async def test_pages_asking_who_is_signed_in_spend_no_auth_failure_budget():
    async with make_client(limit_auth_failures="2/minute") as client:
        for _ in range(5):  # every page opened before signing in asks once
            assert (await client.get("/auth/session")).status_code == 401
        client.cookies.set(SESSION_COOKIE, "forged")
        statuses = [(await client.get("/auth/session")).status_code for _ in range(3)]
        assert statuses == [401, 401, 429]  # a bad cookie is a bad token


async def test_an_expired_or_forged_session_cookie_is_401(client):
    client.cookies.set(SESSION_COOKIE, issue_token("ministry", "ID", ttl_seconds=-120))
    assert (await client.get("/v1/things")).status_code == 401
    client.cookies.set(SESSION_COOKIE, "not.a.token")
    assert (await client.get("/v1/things")).status_code == 401


async def test_a_session_expires_with_its_token():
    async with make_client() as client:
        session = (await sign_in(client, role="monitor", area="53")).json()
        remaining = time.mktime(
            time.strptime(session["expires_at"][:19], "%Y-%m-%dT%H:%M:%S")
        ) - time.mktime(time.gmtime())
        assert 8 * 3600 - 60 < remaining <= 8 * 3600 + 1


async def test_sign_in_attempts_are_rate_limited_per_address():
    async with make_client(limit_sign_in="3/minute") as client:
        statuses = [
            (await sign_in(client, role="monitor", area="99")).status_code for _ in range(4)
        ]
        assert statuses == [422, 422, 422, 429]
        limited = await sign_in(client, role="monitor", area="53")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_the_cookie_is_secure_over_https(client):
    response = await client.post(
        "https://127.0.0.1:8009/auth/session", json={"role": "monitor", "area": "53"}, headers=CSRF
    )
    assert "secure" in set_cookie(response).lower()


async def test_areas_are_found_by_name_with_where_they_lie(client):
    found = (await client.get("/auth/areas", params={"q": "kupang"})).json()
    assert [a["code"] for a in found[:2]] == ["53.01", "53.71"]
    assert found[1] == {
        "code": "53.71",
        "name": "KOTA KUPANG",
        "level": "regency",
        "within": "NUSA TENGGARA TIMUR",
    }
    villages = (await client.get("/auth/areas", params={"q": "oebobo", "level": "village"})).json()
    assert {a["code"] for a in villages} == {"53.02.14.2004", "53.71.04.1001"}
    assert villages[0]["within"].count(",") == 2
    by_code = (await client.get("/auth/areas", params={"q": "53.71.04", "limit": 2})).json()
    assert [a["code"] for a in by_code] == ["53.71.04", "53.71.04.1001"]
    assert (await client.get("/auth/areas", params={"q": "zzzqqq"})).json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 61},
        {"q": ""},
        {"q": "a\x00b"},
        {"q": "kupang", "limit": 51},
        {"q": "kupang", "level": "planet"},
    ],
)
async def test_a_bad_area_search_is_422(client, params):
    response = await client.get("/auth/areas", params=params)
    assert response.status_code == 422


async def test_vendored_libraries_are_cached_for_a_year_our_own_files_revalidated(client):
    import json

    [entry, *_] = json.loads(MANIFEST.read_text())
    library = await client.get(f"/static/vendor/{entry['file']}")
    assert library.status_code == 200 and library.headers["cache-control"] == IMMUTABLE
    assert library.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    own = await client.get("/static/pantau.js")
    assert own.status_code == 200 and own.headers["cache-control"] == REVALIDATE
    again = await client.get("/static/pantau.js", headers={"if-none-match": own.headers["etag"]})
    assert again.status_code == 304
    assert (await client.get("/static/pantau.css")).headers["content-type"].startswith("text/css")
    for missing in ("/static/nothing.js", "/static/../auth.py", "/static/%2e%2e/auth.py"):
        assert (await client.get(missing)).status_code == 404


async def test_a_service_serves_its_own_page_files_but_not_its_pages_as_files():
    from services.reporting.app import create_app

    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        script = await client.get("/static/reporting/dashboard.js")
        assert script.status_code == 200 and script.headers["cache-control"] == REVALIDATE
        assert (await client.get("/static/reporting/dashboard.html")).status_code == 404
        assert (await client.get("/static/pantau.js")).status_code == 200


async def test_the_sign_in_page_has_a_strict_policy_and_lists_every_role(client):
    page = await client.get("/sign-in")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'none'" in policy
    assert 'data-mode="development"' in page.text and 'data-home=""' in page.text
    assert '<option value="village-officer" data-level="village"' in page.text
    assert '<option value="monitor" data-level=""' in page.text


def test_a_pages_policy_allows_its_own_inline_blocks_by_hash_and_nothing_inline_else():
    from shared.service.pages import content_security_policy

    policy = content_security_policy(
        '<script src="/static/pantau.js"></script><script>go()</script><style>p{}</style>'
    )
    [script_src] = [d for d in policy.split("; ") if d.startswith("script-src")]
    [style_src] = [d for d in policy.split("; ") if d.startswith("style-src")]
    assert script_src.startswith("script-src 'self' 'sha256-") and script_src.count("sha256") == 1
    assert style_src.startswith("style-src 'self' 'sha256-") and style_src.count("sha256") == 1
    assert "unsafe" not in policy and "default-src 'none'" in policy


def test_the_access_log_names_static_files_by_their_mount_not_their_path():
    from shared.service.middleware import _route

    assert _route({"path": "/static/vendor/chart.js-4.6.2/chart.umd.min.js"}) == "/static/{path}"
    assert _route({"path": "/nothing/here"}) == "(no route)"
