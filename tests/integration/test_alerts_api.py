"""The monitors' API over HTTP, served by uvicorn with its lifespan on the real broker and
database: reading within a jurisdiction, acknowledging and resolving (published, audited,
idempotent), and the live stream (server-sent events) resuming after a reconnect.

Alerts here are raised by events this module publishes in regencies of North Maluku (82) that no
other test uses; the service also reads what other tests published, so each assertion names its
own alerts, or holds for every alert shown (nothing outside the caller's area).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.alerts.clock import ManualClock
from shared.areas import is_within
from tests.support.alerts import (
    SseReader,
    alert_envelopes,
    alerts_settings,
    auth,
    publish,
    serve,
    villages_of,
)
from tests.support.messaging import wait_until
from tests.unit.alerts.stream import START, Stream

pytestmark = pytest.mark.integration

HALMAHERA_BARAT, HALMAHERA_TENGAH = "82.01", "82.02"
CANARY = "5371015403980001"  # a NIK: never echoed


@dataclass
class Served:
    url: str
    client: httpx.AsyncClient
    clock: ManualClock
    log: Stream
    dsn: str
    bootstrap: str

    async def fee_alert(self, regency: str, component: str = "passport") -> dict[str, Any]:
        """Register a worker in ``regency``, charge a fee, and return the alert it raised."""
        village = villages_of(regency, 1)[0]
        worker = self.log.registered(village)
        await publish(self.bootstrap, [worker, self.log.fee(worker.subject, component=component)])
        return await self.alert_about(worker.subject)

    async def alert_about(self, about: str, within: float = 60) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        async def raised() -> bool:
            conn = await asyncpg.connect(self.dsn)
            try:
                row = await conn.fetchrow("SELECT id, area FROM alerts WHERE about = $1", about)
            finally:
                await conn.close()
            if row is not None:
                found.append({"id": str(row["id"]), "area": row["area"], "about": about})
            return row is not None

        await wait_until(raised, within=within)
        return found[0]

    def sse(self, headers: dict[str, str], query: str = "") -> SseReader:
        return SseReader(f"{self.url}/v1/alerts/stream{query}", headers)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def served(make_database, kafka_bootstrap, kafka_idempotence) -> AsyncIterator[Served]:
    from services.alerts.app import create_app

    dsn = await make_database("services.alerts")

    def factory(cls: Any, **values: Any) -> Any:
        return cls(
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_idempotence=kafka_idempotence,
            kafka_session_timeout_ms=2_000,
            relay_poll_seconds=0.1,
            log_json=True,
            **values,
        )

    settings = alerts_settings(factory, dsn, stream_keepalive_seconds=0.3)
    clock = ManualClock(START)
    app = create_app(settings, clock=clock)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Served(url, client, clock, Stream(clock), dsn, kafka_bootstrap)


async def _list(served: Served, headers: dict[str, str], **params: Any) -> httpx.Response:
    return await served.client.get("/v1/alerts", params=params, headers=headers)


async def _items(served: Served, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = await _list(served, headers, limit=100, offset=offset, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_offset"] is None:
            return items
        offset = page["next_offset"]


# -- reading ----------------------------------------------------------------------------------
async def test_a_monitor_sees_the_alerts_of_their_area_and_nothing_else(served):
    west = await served.fee_alert(HALMAHERA_BARAT)
    central = await served.fee_alert(HALMAHERA_TENGAH)

    west_monitor = auth("monitor", HALMAHERA_BARAT)
    shown = await _items(served, west_monitor)
    ids = {a["id"] for a in shown}
    assert west["id"] in ids and central["id"] not in ids
    assert all(is_within(a["area"], HALMAHERA_BARAT) for a in shown)

    province = {a["id"] for a in await _items(served, auth("monitor", "82"))}
    assert {west["id"], central["id"]} <= province
    narrowed = {a["id"] for a in await _items(served, auth("monitor", "82"), area=HALMAHERA_TENGAH)}
    assert central["id"] in narrowed and west["id"] not in narrowed

    # Outside the caller's area: 403, without repeating the area asked for.
    refused = await _list(served, west_monitor, area=HALMAHERA_TENGAH)
    assert refused.status_code == 403
    assert HALMAHERA_TENGAH not in refused.text


async def test_officers_read_without_who_and_other_roles_read_nothing(served):
    alert = await served.fee_alert(HALMAHERA_BARAT)
    monitor = auth("monitor", HALMAHERA_BARAT, sub="monitor-halbar")
    step = await served.client.post(f"/v1/alerts/{alert['id']}/acknowledgement", headers=monitor)
    assert step.status_code == 200, step.text

    officer = await _items(served, auth("regency-officer", HALMAHERA_BARAT))
    (seen,) = [a for a in officer if a["id"] == alert["id"]]
    assert seen["status"] == "acknowledged" and seen["acknowledged_at"] is not None
    assert seen["acknowledged_by"] is None  # monitors only
    (own,) = [a for a in await _items(served, monitor) if a["id"] == alert["id"]]
    assert own["acknowledged_by"] == "monitor-halbar"
    assert own["area_name"] == "KABUPATEN HALMAHERA BARAT"

    for role, area in (("case-worker", HALMAHERA_BARAT), ("operator", "ID")):
        assert (await _list(served, auth(role, area))).status_code == 403
    assert (await served.client.get("/v1/alerts")).status_code == 401
    # A village officer sees the village's alerts only (an illegal fee goes to the regency).
    village = villages_of(HALMAHERA_BARAT, 1)[0]
    assert alert["id"] not in {
        a["id"] for a in await _items(served, auth("village-officer", village))
    }


async def test_the_summary_counts_the_unresolved_alerts_and_the_days(served):
    regency = "82.03"
    before = (
        await served.client.get(
            "/v1/alerts/summary", params={"area": regency, "days": 7}, headers=auth("monitor", "82")
        )
    ).json()
    await served.fee_alert(regency)
    await served.fee_alert(regency, component="other")

    response = await served.client.get(
        "/v1/alerts/summary", params={"area": regency, "days": 7}, headers=auth("monitor", "82")
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["area_name"] == "KABUPATEN HALMAHERA UTARA"
    assert after["unresolved"]["total"] == before["unresolved"]["total"] + 2
    assert after["unresolved"]["by_rule"]["illegal_fee"] >= 1
    assert after["unresolved"]["by_rule"]["fee_warning"] >= 1
    assert [d["day"] for d in after["raised_per_day"]][-1] == START.date().isoformat()
    assert len(after["raised_per_day"]) == 7
    assert after["raised_per_day"][-1]["by_severity"]["critical"] >= 1
    assert after["position"] >= before["position"] + 2


# -- acting -----------------------------------------------------------------------------------
async def test_a_monitor_acknowledges_and_resolves_an_alert_published_and_audited(served):
    alert = await served.fee_alert(HALMAHERA_BARAT)
    monitor = auth("monitor", HALMAHERA_BARAT, sub="monitor-7")
    path = f"/v1/alerts/{alert['id']}"

    ack = await served.client.post(f"{path}/acknowledgement", headers=monitor)
    assert ack.status_code == 200, ack.text
    assert (ack.json()["status"], ack.json()["version"]) == ("acknowledged", 2)
    again = await served.client.post(f"{path}/acknowledgement", headers=monitor)
    assert (again.status_code, again.json()["version"]) == (200, 2)  # nothing changes

    comment = "Called the agency; refund promised by Friday.\nFollow up next week."
    body = {"note": "action_taken", "comment": comment}
    resolved = await served.client.post(f"{path}/resolution", json=body, headers=monitor)
    assert resolved.status_code == 200, resolved.text
    out = resolved.json()
    assert (out["status"], out["resolution"], out["resolved_by"]) == (
        "resolved",
        "action_taken",
        "monitor-7",
    )
    assert out["comment"] == comment
    assert (
        await served.client.post(f"{path}/resolution", json=body, headers=monitor)
    ).status_code == 409
    assert (await served.client.post(f"{path}/acknowledgement", headers=monitor)).status_code == 409

    events = await alert_envelopes(served.bootstrap, [alert["about"]], at_least=3)
    assert [e.type for e in events] == ["alert-raised", "alert-acknowledged", "alert-resolved"]
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[2].data["reason"] == "action_taken"
    assert events[1].correlation_id == ack.headers["X-Correlation-ID"]
    assert events[2].correlation_id == resolved.headers["X-Correlation-ID"]
    for envelope in events:  # who, and the comment, stay here
        text = envelope.to_json().decode()
        assert "monitor-7" not in text and "refund" not in text

    conn = await asyncpg.connect(served.dsn)
    try:
        audit = await conn.fetch(
            "SELECT actor, role, action FROM audit_log WHERE alert_id = $1 ORDER BY id",
            uuid.UUID(alert["id"]),
        )
    finally:
        await conn.close()
    assert [(r["actor"], r["action"]) for r in audit] == [
        ("monitor-7", "alert.acknowledge"),
        ("monitor-7", "alert.acknowledge"),
        ("monitor-7", "alert.resolve"),
    ]


async def test_a_resolved_occurrence_is_raised_anew_by_the_next_fee(served):
    alert = await served.fee_alert(HALMAHERA_BARAT)
    monitor = auth("monitor", HALMAHERA_BARAT)
    response = await served.client.post(
        f"/v1/alerts/{alert['id']}/resolution", json={"note": "false_alarm"}, headers=monitor
    )
    assert response.status_code == 200, response.text

    await publish(served.bootstrap, [served.log.fee(alert["about"], component="work_visa")])

    async def raised_again() -> bool:
        shown = await _items(served, monitor, status="open", rule="illegal_fee")
        return any(a["about"] == alert["about"] and a["id"] != alert["id"] for a in shown)

    await wait_until(raised_again, within=60)


async def test_steps_are_refused_outside_the_role_the_jurisdiction_or_the_codes(served):
    alert = await served.fee_alert(HALMAHERA_BARAT)
    path = f"/v1/alerts/{alert['id']}"
    monitor = auth("monitor", HALMAHERA_BARAT)

    outsider = await served.client.post(
        f"{path}/acknowledgement", headers=auth("monitor", HALMAHERA_TENGAH)
    )
    assert outsider.status_code == 403
    officer = await served.client.post(
        f"{path}/acknowledgement", headers=auth("regency-officer", HALMAHERA_BARAT)
    )
    assert officer.status_code == 403
    missing = await served.client.post(
        f"/v1/alerts/{uuid.uuid4()}/acknowledgement", headers=monitor
    )
    assert missing.status_code == 404
    for body in (
        {"note": "condition_cleared"},
        {"note": "fixed"},
        {"note": "action_taken", "comment": f"NIK {CANARY}\x00"},
        {"note": "action_taken", "comment": "x" * 1_001},
        {"note": "action_taken", CANARY: 1},
    ):
        refused = await served.client.post(f"{path}/resolution", json=body, headers=monitor)
        assert refused.status_code == 422, body
        assert CANARY not in refused.text and "fixed" not in refused.text
    (still,) = [a for a in await _items(served, monitor) if a["id"] == alert["id"]]
    assert (still["status"], still["version"]) == ("open", 1)


async def test_a_step_repeated_with_its_idempotency_key_answers_the_first_answer(served):
    alert = await served.fee_alert(HALMAHERA_BARAT)
    monitor = {**auth("monitor", HALMAHERA_BARAT), "Idempotency-Key": str(uuid.uuid4())}
    path = f"/v1/alerts/{alert['id']}/resolution"
    first = await served.client.post(path, json={"note": "referred"}, headers=monitor)
    second = await served.client.post(path, json={"note": "referred"}, headers=monitor)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    other = await served.client.post(path, json={"note": "duplicate"}, headers=monitor)
    assert other.status_code == 422  # the same key with another body


# -- the live stream --------------------------------------------------------------------------
async def test_the_stream_shows_each_change_once_and_only_within_the_area(served):
    west_headers = auth("monitor", HALMAHERA_BARAT)
    async with (
        served.sse(west_headers) as west,
        served.sse(auth("monitor", HALMAHERA_TENGAH)) as central,
    ):
        alert = await served.fee_alert(HALMAHERA_BARAT)
        ack = await served.client.post(
            f"/v1/alerts/{alert['id']}/acknowledgement", headers=west_headers
        )
        assert ack.status_code == 200

        async def both_seen() -> bool:
            mine = [a for a in west.alerts() if a["id"] == alert["id"]]
            return [a["status"] for a in mine] == ["open", "acknowledged"]

        await wait_until(both_seen, within=30)
        await asyncio.sleep(0.5)  # time enough for a wrong delivery to arrive
        assert alert["id"] not in {a["id"] for a in central.alerts()}
        assert all(is_within(a["area"], HALMAHERA_TENGAH) for a in central.alerts())
        assert all(is_within(a["area"], HALMAHERA_BARAT) for a in west.alerts())
        mine = [e for e in west.events if json.loads(e.data)["id"] == alert["id"]]
        assert [e.event for e in mine] == ["alert-raised", "alert-acknowledged"]
        ids = [int(e.id or 0) for e in west.events]
        assert ids == sorted(set(ids))  # ordered, none twice
        assert west.comments  # the retry hint and keep-alives


async def test_a_reconnect_with_last_event_id_misses_nothing_and_repeats_nothing(served):
    headers = auth("monitor", "82.04")
    first_alert = await served.fee_alert("82.04")
    page = (await _list(served, headers)).json()
    async with served.sse(headers, f"?after={page['position']}") as before:
        second = await served.fee_alert("82.04")

        async def seen() -> bool:
            return second["id"] in {a["id"] for a in before.alerts()}

        await wait_until(seen, within=30)
    assert first_alert["id"] not in {a["id"] for a in before.alerts()}  # in the page already
    last_id = before.events[-1].id
    assert last_id is not None

    # While disconnected: a new alert, and a step on an old one.
    third = await served.fee_alert("82.04")
    ack = await served.client.post(f"/v1/alerts/{second['id']}/acknowledgement", headers=headers)
    assert ack.status_code == 200

    async with served.sse({**headers, "Last-Event-ID": last_id}) as after:
        await after.wait_for(2)
        await asyncio.sleep(0.5)
        resumed = [(e.event, json.loads(e.data)["id"]) for e in after.events]
    assert resumed == [("alert-raised", third["id"]), ("alert-acknowledged", second["id"])]
    assert int(after.events[0].id or 0) > int(last_id)


async def test_the_stream_refuses_bad_positions_and_other_roles(served):
    headers = auth("monitor", "82")
    for bad in ("-1", "12abc", CANARY + "000000", "1\x00"):
        reader = served.sse({**headers, "Last-Event-ID": bad})
        try:
            async with reader:
                pass
        except httpx.HTTPError:
            continue  # the client refuses to send such a header at all
        assert reader.status == 422, bad
    async with served.sse(auth("case-worker", "82.01")) as reader:
        pass
    assert reader.status == 403
    async with served.sse(auth("monitor", "82.01"), "?area=82.02") as reader:
        pass
    assert reader.status == 403


async def test_a_position_from_the_future_does_not_skip_what_comes_next(served):
    headers = auth("monitor", "82.05")
    async with served.sse(headers, f"?after={10**17}") as reader:
        alert = await served.fee_alert("82.05")

        async def seen() -> bool:
            return alert["id"] in {a["id"] for a in reader.alerts()}

        await wait_until(seen, within=30)


async def test_a_deadline_raised_by_the_clock_reaches_the_stream(served):
    headers = auth("monitor", "82")
    village = villages_of("82.06", 1)[0]
    case = served.log.opened(village, level="regency", category="trafficking")
    await publish(served.bootstrap, [case])
    async with served.sse(headers) as reader:
        conn = await asyncpg.connect(served.dsn)
        try:

            async def planned() -> bool:
                return bool(await conn.fetchval("SELECT 1 FROM due WHERE about = $1", case.subject))

            await wait_until(planned, within=60)
        finally:
            await conn.close()
        served.clock.advance(timedelta(hours=25))

        async def fired() -> bool:
            return any(
                a["about"] == case.subject and a["rule"] == "case_unassigned"
                for a in reader.alerts()
            )

        await wait_until(fired, within=30)



async def test_a_stream_far_behind_reads_its_area_by_index_not_the_whole_log(make_database):
    """The query a stream behind the memory buffer runs (feed._from_database), from the start of
    a long log, finds one regency's changes through alert_log (area, seq), not by a walk of the
    whole log in seq order."""
    from services.alerts.monitors.repository import within_sql

    dsn = await make_database("services.alerts")
    where, params = within_sql("area", "82.01", 4)
    conn = await asyncpg.connect(dsn)
    try:
        # A long log of other areas' changes, and a few of 82.01's.
        await conn.execute(
            "INSERT INTO alert_log (alert_id, type, area, at, alert)"
            " SELECT gen_random_uuid(), 'alert-raised',"
            " CASE WHEN i % 1000 = 0 THEN '82.01.01.2001' ELSE '53.71.01.' || (1000 + i % 500) END,"
            " now(), '{}' FROM generate_series(1, 20000) AS i"
        )
        await conn.execute("ANALYZE alert_log")
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN SELECT seq, type, area, alert::text AS alert FROM alert_log"
                f" WHERE seq > $1 AND seq <= $2 AND {where} ORDER BY seq LIMIT $3",
                0,
                20_000,
                500,
                *params,
            )
        )
    finally:
        await conn.close()
    assert "alert_log_area_seq" in plan, plan
