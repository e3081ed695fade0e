"""Every HTTP service driven from its own OpenAPI document with hostile inputs (hypothesis).

For every operation, requests are generated from its parameters and body schema, each value
either plausible (from the schema: enums, patterns, dates, uuids, bounded numbers) or hostile
(control characters and NUL bytes, lone surrogates, a NIK as free text, numbers past 2^63,
dates of year 1 and 9999, unknown keys, wrong types), at any depth of the body (a session's
participants, a beneficiary); registry requests name a registered worker half the time, so they
get past "no such worker" to the rest of their inputs. Every request also carries a NIK as its
``X-Request-ID``. Asserted for every answer: never a 5xx, and no 4xx body or header repeats a
hostile value (each carries a NIK-shaped canary). The number of examples is bounded so that the
test stays part of the normal suite.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from datetime import date
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.alerts.app import create_app as create_alerts
from services.alerts.settings import AlertsSettings
from services.cases.app import create_app as create_cases
from services.cases.settings import CasesSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from shared.auth import CSRF_HEADER, issue_token

pytestmark = pytest.mark.integration

CANARY = "5371015403980001"  # a NIK: must never come back
BIG = 2**63 + 1_234_567  # past PostgreSQL's bigint
EXAMPLES_PER_OPERATION = 30
T = TypeVar("T")

_NASTY = ["\x00", "\x1b[31m", "\n", "\r\n", "\t", "\u202e", "\ufeff", "\ud800", "'", '"', "%00"]
hostile_text = st.builds(
    lambda pre, post: pre + CANARY + post,
    st.sampled_from(["", " ", "Maria ", *_NASTY]),
    st.sampled_from(["", " Lende", "x" * 300, *_NASTY]),
)
hostile_number = st.sampled_from([BIG, BIG, -BIG, 10**30 + 7, -(2**63) - 9])
hostile_date = st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-30", f"{CANARY}-01"])
hostile = st.one_of(hostile_text, hostile_number, hostile_number, hostile_date, st.just([CANARY]))


class Served:
    """An app served in a thread of its own (hypothesis tests are synchronous)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stack = AsyncExitStack()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def close(self) -> None:
        self.run(self.stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _start(stack: AsyncExitStack, dsns: dict[str, str]) -> dict[str, Any]:
    common: dict[str, Any] = {"rate_limits_enabled": False, "log_json": True, "access_log": False}
    # No broker: the relay is off and the consumers retry in the background.
    offline: dict[str, Any] = {
        "relay_enabled": False,
        "migrate_on_start": False,
        "kafka_bootstrap_servers": "127.0.0.1:9",
        **common,
    }
    registry = create_registry(RegistrySettings(database_url=dsns["registry"], **offline))
    await stack.enter_async_context(registry.router.lifespan_context(registry))
    cases = create_cases(CasesSettings(database_url=dsns["cases"], **offline))
    await stack.enter_async_context(cases.router.lifespan_context(cases))
    # Reporting without its lifespan: no consumer, no broker; the figures are empty.
    reporting = create_reporting(ReportingSettings(database_url=dsns["reporting"], **common))
    reporting.state.pool = await asyncpg.create_pool(dsns["reporting"], min_size=1, max_size=2)
    stack.push_async_callback(reporting.state.pool.close)
    # Alerts with its lifespan (its state, its stream's feed): its consumer and clock loop wait
    # for the broker, which changes nothing its routes answer. A live stream that opens ends at
    # once (this client reads whole answers only).
    alerts = create_alerts(
        AlertsSettings(database_url=dsns["alerts"], stream_lifetime_seconds=0.05, **offline)
    )
    await stack.enter_async_context(alerts.router.lifespan_context(alerts))
    clients: dict[str, Any] = {}
    apps = {"registry": registry, "reporting": reporting, "cases": cases, "alerts": alerts}
    for name, app in apps.items():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        clients[name] = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
        )
        clients[f"{name}-openapi"] = app.openapi()
    clients["worker_id"] = await _a_worker(clients["registry"])
    return clients


async def _a_worker(registry: httpx.AsyncClient) -> str:
    """A registered worker, so that requests naming one get past "no such worker" to the rest
    of their inputs (a service's beneficiary, a session's participants)."""
    body = {
        "nik": "5371014507900001",
        "name": "Maria Lende",
        "sex": "female",
        "birth_date": "1990-07-05",
        "village": "53.71.01.1001",
    }
    headers = {"Authorization": f"Bearer {issue_token('ministry', 'ID')}"}
    response = await registry.post("/v1/workers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def served(make_database: Any) -> Iterator[tuple[Served, dict[str, Any]]]:
    server = Served()
    try:
        dsns = {
            name: server.run(_in_loop_of(make_database(f"services.{name}")))
            for name in ("registry", "reporting", "cases", "alerts")
        }
        clients = server.run(_start(server.stack, dsns))
        yield server, clients
    finally:
        server.close()


async def _in_loop_of(awaitable: Any) -> Any:
    return await awaitable


def operations(service: str) -> list[tuple[str, str, str]]:
    factories = {
        "registry": lambda: create_registry(RegistrySettings()),
        "reporting": create_reporting,
        "cases": lambda: create_cases(CasesSettings()),
        "alerts": lambda: create_alerts(AlertsSettings()),
    }
    app = factories[service]()
    found = []
    for path, item in app.openapi()["paths"].items():
        for method in item:
            # The kit's own /auth/ routes are the same in every service: fuzzed once.
            if path.startswith("/v1/") or (service == "registry" and path.startswith("/auth/")):
                found.append((service, method, path))
    return found


OPERATIONS = [
    *operations("registry"),
    *operations("reporting"),
    *operations("cases"),
    *operations("alerts"),
]
# The role each route is tried with: one that gets past the role check to the inputs.
SUPERVISED = ("/v1/case-workers", "/break-glass")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def plausible(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> st.SearchStrategy:
    """Values valid for ``schema`` (roughly): enums, dates, uuids, patterns, bounded numbers."""
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of(*(plausible(s, spec, depth) for s in schema[key]))
    if "allOf" in schema:
        return plausible(schema["allOf"][0], spec, depth)
    kind = schema.get("type")
    if "enum" in schema:
        leaf: st.SearchStrategy = st.sampled_from(schema["enum"])
    elif kind == "string" and schema.get("format") == "date":
        leaf = st.dates(date(1950, 1, 1), date(2030, 12, 31)).map(date.isoformat)
    elif kind == "string" and schema.get("format") == "uuid":
        leaf = st.uuids().map(str)
    elif kind == "string" and "pattern" in schema:
        leaf = st.from_regex(schema["pattern"], fullmatch=True)
    elif kind == "string":
        leaf = st.text(min_size=1, max_size=30)
    elif kind == "integer":
        leaf = st.integers(schema.get("minimum", -5), schema.get("maximum", 10**6))
    elif kind == "number":
        leaf = st.integers(1, 10**9)
    elif kind == "boolean":
        leaf = st.booleans()
    elif kind == "null":
        leaf = st.none()
    elif kind == "array" and depth < 3:
        return st.lists(plausible(schema.get("items", {}), spec, depth + 1), max_size=2)
    elif kind == "object" and depth < 3:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        body = st.fixed_dictionaries(
            {k: plausible(v, spec, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: plausible(v, spec, depth + 1) for k, v in properties.items() if k not in required
            },
        )
        return body
    else:
        leaf = st.none()
    return leaf


Path = tuple[str | int, ...]


def _places(value: Any, path: Path = ()) -> list[Path]:
    """Every key of ``value`` and of the objects and lists nested in it (a session's
    participants, a beneficiary): where a hostile value may go."""
    found: list[Path] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += [(*path, key), *_places(item, (*path, key))]
        found += [(*path, CANARY), (*path, "nik_like")]  # keys the model does not have
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            found += _places(item, (*path, i))
    return found


def _put(body: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        body = body[part]
    body[path[-1]] = value


def _with_worker(params: dict[Any, Any], body: Any, worker_id: str) -> None:
    """Name the registered worker wherever a worker id goes."""
    for where, name in params:
        if name == "worker_id":
            params[(where, name)] = worker_id
    participants = body.get("participants") if isinstance(body, dict) else None
    for participant in participants if isinstance(participants, list) else ():
        if isinstance(participant, dict):
            participant["worker_id"] = worker_id


@st.composite
def request_of(
    draw: st.DrawFn, operation: dict[str, Any], spec: dict[str, Any], worker_id: str | None = None
) -> tuple[dict[Any, Any], Any]:
    """Plausible parameters and body, with one of them (or a new body key, at any depth) made
    hostile, so that the hostile value is what the service has to cope with; half the time the
    registered ``worker_id`` is named wherever a worker goes."""
    params = {
        (p["in"], p["name"]): draw(plausible(p.get("schema", {}), spec))
        for p in operation.get("parameters", [])
    }
    body: Any = None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        body = draw(plausible(content["schema"], spec))
    if worker_id is not None and draw(st.booleans()):
        _with_worker(params, body, worker_id)
    targets: list[Any] = list(params)
    if isinstance(body, dict):
        targets += [("body", path) for path in _places(body)]
    if not targets:
        return params, body
    target = draw(st.sampled_from(targets))
    if target[0] == "body":
        _put(body, target[1], draw(hostile))
    else:
        params[target] = draw(hostile)
    return params, body


def hostile_values(value: Any) -> list[str]:
    """The canary-bearing values sent (as they would be repeated back)."""
    if isinstance(value, str):
        return [value] if CANARY in value else []
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**62:
        return [str(value)]
    if isinstance(value, list):
        return [v for item in value for v in hostile_values(item)]
    if isinstance(value, dict):
        return [v for k, item in value.items() for v in hostile_values(k) + hostile_values(item)]
    return []


def send(
    client: httpx.AsyncClient, method: str, path: str, params: dict[Any, Any], body: Any
) -> Coroutine[Any, Any, httpx.Response]:
    url = path
    query: dict[str, str] = {}
    role, area = ("supervisor", "53") if path.endswith(SUPERVISED) else ("ministry", "ID")
    if path.startswith("/v1/alerts"):
        role = "monitor"  # the one role that may use every alerts operation
    headers = {
        "Authorization": f"Bearer {issue_token(role, area)}",
        "X-Request-ID": CANARY,
        CSRF_HEADER: "1",  # as pages send it: the hostile input, not the header, is tested
    }
    for (where, name), value in params.items():
        if value is None:
            continue  # an optional parameter left out
        text = value if isinstance(value, str) else json.dumps(value)
        if where == "path":
            url = url.replace("{" + name + "}", urllib.parse.quote(text, safe=""))
        elif where == "query":
            query[name] = text
        elif where == "header":
            headers[name] = text
    content = None
    if body is not None or method in ("post", "put", "patch"):
        content = json.dumps(body).encode("utf-8", "surrogatepass")
        headers["Content-Type"] = "application/json"
    return client.request(method.upper(), url, params=query, headers=headers, content=content)


@pytest.mark.parametrize(("service", "method", "path"), OPERATIONS)
def test_hostile_inputs_never_give_a_5xx_nor_come_back(served, service, method, path):
    server, clients = served
    spec = clients[f"{service}-openapi"]
    operation = spec["paths"][path][method]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request_of(operation, spec, clients["worker_id"] if service == "registry" else None))
    def check(request: tuple[dict[Any, Any], Any]) -> None:
        params, body = request
        try:
            response = server.run(send(clients[service], method, path, params, body))
        except (httpx.LocalProtocolError, UnicodeEncodeError, ValueError):
            assume(False)  # the client itself refuses to send it (a header it cannot encode)
            return
        assert response.status_code < 500, (method, path, response.status_code, response.text)
        if response.status_code >= 400:
            sent = [*hostile_values(params), *hostile_values(body), CANARY]
            shown = response.text + json.dumps(dict(response.headers))
            for value in sent:
                assert value not in shown, (method, path, response.status_code, response.text)

    check()
