"""The cases service over the real broker: a case for a worker registered through the registry's
API (the two meet only through events) reaches reporting's figures at every level; the
escalation chain from the village to the ministry, with the automatic step on a case_overdue
alert; the worker replica left unchanged by duplicate and out-of-order events."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from pantau.simulate import make_nik
from services.cases.settings import CasesSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from shared.areas import ancestors, areas
from shared.contract.codes import Level, Severity, WorkerStatus
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import AlertRaised, WorkerReturned, WorkerVerified
from shared.contract.topics import Topic
from shared.kafka import make_producer
from shared.settings import ServiceSettings
from tests.support.cases import (
    PROVINCE_OFFICER,
    REGENCY_OFFICER,
    SUPERVISOR,
    VILLAGE,
    auth,
    cases_client,
    departed,
    registered,
    unregistered,
    worker_event,
)
from tests.support.messaging import end_offsets, read_topic, wait_until

pytestmark = pytest.mark.integration


async def publish(settings: ServiceSettings, topic: str, envelopes: list[Envelope]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                topic,
                envelope.to_json(),
                key=envelope.subject.encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
    finally:
        await producer.stop()


@asynccontextmanager
async def served(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            yield client


def cases_settings(service_settings: Callable[..., Any], dsn: str) -> CasesSettings:
    return service_settings(CasesSettings, database_url=dsn, rate_limits_enabled=False)


# -- registry → cases → reporting ------------------------------------------------------------------
async def reporting_caught_up(client: httpx.AsyncClient, bootstrap: str) -> None:
    topics = (Topic.WORKER, Topic.AGENCY, Topic.CASE, Topic.ALERT)
    wanted = {(t, str(p)): o for t in topics for p, o in (await end_offsets(bootstrap, t)).items()}

    async def done() -> bool:
        mark = (await client.get("/v1/watermark", headers=auth("ministry", "ID"))).json()
        have = {(t, p): o for t, parts in mark["positions"].items() for p, o in parts.items()}
        return all(have.get(k, 0) >= v for k, v in wanted.items() if v)

    await wait_until(done, within=120)


async def case_figures(client: httpx.AsyncClient, codes: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for code in codes:
        response = await client.get(f"/v1/areas/{code}/summary", headers=auth("ministry", "ID"))
        assert response.status_code == 200, response.text
        out[code] = response.json()["totals"]["cases"]
    return out


async def test_a_case_for_a_registered_worker_reaches_reportings_figures_at_every_level(
    make_database, service_settings, kafka_bootstrap
):
    # A village no other test writes to, so its own figures are exactly this test's.
    village = random.Random(uuid.uuid4().int).choice(
        [v for v in areas().villages() if v.startswith("53.")]
    )
    levels = ancestors(village)  # village, district, regency, province, nation
    registry_settings = service_settings(
        RegistrySettings, database_url=await make_database("services.registry")
    )
    reporting_settings = service_settings(
        ReportingSettings,
        database_url=await make_database("services.reporting"),
        consumer_name=f"reporting-{uuid.uuid4().hex[:8]}",
        publish_enabled=False,
    )
    cases = cases_settings(service_settings, await make_database("services.cases"))
    async with AsyncExitStack() as stack:
        registry = await stack.enter_async_context(
            served(create_registry(registry_settings), "registry")
        )
        reporting = await stack.enter_async_context(
            served(create_reporting(reporting_settings), "reporting")
        )
        _, cases_api = await stack.enter_async_context(cases_client(cases))
        await reporting_caught_up(reporting, kafka_bootstrap)
        before = await case_figures(reporting, levels)

        officer = auth("village-officer", village)
        registration = await registry.post(
            "/v1/workers",
            headers=officer,
            json={
                "nik": make_nik(village.rsplit(".", 1)[0], date(1996, 2, 9), "female", 4242),
                "name": "Yuliana Tefa",
                "sex": "female",
                "birth_date": "1996-02-09",
                "village": village,
                "occupation": "housekeeper",
            },
        )
        assert registration.status_code == 201, registration.text
        worker_id = registration.json()["id"]

        body = {
            "worker_id": worker_id,
            "category": "unpaid_wages",
            "channel": "walk_in",
            "narrative": "Gaji tujuh bulan belum dibayar.",
        }
        opened: dict[str, Any] = {}

        async def case_opened() -> bool:  # once the registration has reached the replica
            response = await cases_api.post("/v1/cases", json=body, headers=officer)
            if response.status_code == 422:
                assert response.json()["detail"][0]["loc"][-1] == "worker_id", response.text
                return False
            assert response.status_code == 201, response.text
            opened.update(response.json())
            return True

        await wait_until(case_opened, within=60, every=0.3)
        escalated = await cases_api.post(
            f"/v1/cases/{opened['id']}/escalation", json={"reason": "no_progress"}, headers=officer
        )
        assert escalated.status_code == 200

        async def counted() -> bool:
            figures = await case_figures(reporting, [village])
            return bool(figures[village]["by_level"]["regency"]["female"] == 1)

        await wait_until(counted, within=60, every=0.3)
        after = await case_figures(reporting, levels)
        for code in levels:
            delta = {
                path: after[code][group][key]["female"] - before[code][group][key]["female"]
                for path, (group, key) in {
                    "category": ("by_category", "unpaid_wages"),
                    "regency": ("by_level", "regency"),
                    "new": ("by_status", "new"),
                }.items()
            }
            assert delta == {"category": 1, "regency": 1, "new": 1}, code
            assert after[code]["open"]["female"] - before[code]["open"]["female"] == 1


# -- the escalation chain --------------------------------------------------------------------------
def overdue_alert(case_id: str, level: Level, alert_id: uuid.UUID | None = None) -> Envelope:
    return new_event(
        source="alerts",
        subject=str(alert_id or uuid.uuid4()),
        sequence=1,
        area="53.71",
        data=AlertRaised(
            rule="case_overdue", severity=Severity.CRITICAL, level=level, about=case_id
        ),
        correlation_id="alert-correlation-1",
    )


async def test_the_escalation_chain_from_village_to_national_with_the_automatic_step(
    make_database, service_settings, kafka_bootstrap
):
    settings = cases_settings(service_settings, await make_database("services.cases"))
    opened_on = (datetime.now(UTC) - timedelta(days=45)).date()  # documents clock has ended
    officer = auth("village-officer", VILLAGE)
    async with cases_client(settings) as (_, client):
        opened = await client.post(
            "/v1/cases", json=unregistered(opened_on=opened_on.isoformat()), headers=officer
        )
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["id"]
        by_hand = await client.post(
            f"/v1/cases/{case_id}/escalation", json={"reason": "no_progress"}, headers=officer
        )
        assert by_hand.json()["level"] == "regency"

        alert = overdue_alert(case_id, Level.PROVINCE)
        same_alert_again = overdue_alert(case_id, Level.PROVINCE, uuid.UUID(alert.subject))
        other_rule = new_event(
            source="alerts",
            subject=str(uuid.uuid4()),
            sequence=1,
            area="53.71",
            data=AlertRaised(
                rule="case_unassigned",
                severity=Severity.WARNING,
                level=Level.REGENCY,
                about=case_id,
            ),
        )
        await publish(settings, Topic.ALERT, [other_rule, alert, alert, same_alert_again])

        async def at(level: str) -> bool:
            read = await client.get(f"/v1/cases/{case_id}", headers=SUPERVISOR)
            return bool(read.json()["level"] == level)

        await wait_until(lambda: at("province"), within=60)
        # Redeliveries and a second event about the same alert decided nothing more.
        await asyncio.sleep(1.0)
        assert await at("province")

        regency_again = await client.post(
            f"/v1/cases/{case_id}/escalation",
            json={"reason": "no_progress"},
            headers=REGENCY_OFFICER,
        )
        assert regency_again.status_code == 403, "the province holds it now"
        to_national = await client.post(
            f"/v1/cases/{case_id}/escalation",
            json={"reason": "needs_action_abroad"},
            headers=PROVINCE_OFFICER,
        )
        assert to_national.json()["level"] == "national"

        # An alert about a case at the top decides nothing (and is remembered as such).
        await publish(settings, Topic.ALERT, [overdue_alert(case_id, Level.NATIONAL)])

        def escalations(records: list[Any]) -> list[Envelope]:
            mine = [Envelope.model_validate_json(r.value) for r in records]
            return [e for e in mine if e.subject == case_id and e.type == "case-escalated"]

        records = await read_topic(
            kafka_bootstrap, Topic.CASE, until=lambda seen: len(escalations(seen)) >= 3
        )
        chain = escalations(records)
        assert [(e.data["from_level"], e.data["to_level"], e.data["reason"]) for e in chain] == [
            ("village", "regency", "no_progress"),
            ("regency", "province", "case_overdue"),
            ("province", "national", "needs_action_abroad"),
        ]
        assert chain[1].causation_id == str(alert.id)
        assert chain[1].correlation_id == "alert-correlation-1"
        assert [e.sequence for e in chain] == [2, 3, 4]

        conn = await asyncpg.connect(settings.database_url)
        try:

            async def decided() -> bool:
                return bool(
                    await conn.fetchval(
                        "SELECT count(*) FROM case_alerts WHERE case_id = $1", uuid.UUID(case_id)
                    )
                    == 2
                )

            await wait_until(decided, within=60)
            outcomes = await conn.fetch(
                "SELECT outcome FROM case_alerts WHERE case_id = $1 ORDER BY decided_at",
                uuid.UUID(case_id),
            )
            assert [r["outcome"] for r in outcomes] == ["escalate", "at_national_level"]
            audited = await conn.fetchrow(
                "SELECT actor, role, what, alert_id FROM audit_log WHERE case_id = $1"
                " AND actor = 'alerts' AND what = 'case-escalated'",
                uuid.UUID(case_id),
            )
            assert audited["alert_id"] == uuid.UUID(alert.subject)
        finally:
            await conn.close()


# -- the worker replica ----------------------------------------------------------------------------
async def test_duplicate_and_out_of_order_worker_events_change_nothing(
    make_database, service_settings
):
    settings = cases_settings(service_settings, await make_database("services.cases"))
    worker_id, first_agency, second_agency = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    history = [
        worker_event(worker_id, 1, registered()),
        worker_event(worker_id, 2, WorkerVerified(verified_on=date(2025, 2, 1))),
        worker_event(worker_id, 3, departed(first_agency)),
        worker_event(worker_id, 4, WorkerReturned(returned_on=date(2026, 1, 10))),
        worker_event(worker_id, 5, departed(second_agency)),
    ]
    newest_first = [history[4], history[0], history[2], history[0], history[1], history[3]]
    conn = await asyncpg.connect(settings.database_url)
    try:

        async def row() -> dict[str, Any] | None:
            found = await conn.fetchrow(
                "SELECT village, sequence, sex, procedural, status, agency_id, updated_at"
                " FROM workers WHERE id = $1",
                worker_id,
            )
            return dict(found) if found else None

        async with cases_client(settings):
            await publish(settings, Topic.WORKER, newest_first)

            async def applied() -> bool:
                consumed = await conn.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = 'cases-workers'"
                    " AND event_id = ANY($1::uuid[])",
                    [e.id for e in history],
                )
                return bool(consumed == 5)

            await wait_until(applied, within=60)
            once = await row()
            assert once is not None
            assert (once["status"], once["agency_id"], once["sequence"]) == (
                WorkerStatus.DEPARTED.value,
                second_agency,
                5,
            )
            assert (once["sex"], once["procedural"], once["village"]) == ("female", True, VILLAGE)

            # Everything again, as a replay would send it: the same ids, and new ids for the
            # same facts (a producer's retry); nothing moves.
            copies = [
                new_event(
                    source="registry",
                    subject=e.subject,
                    sequence=e.sequence,
                    area=e.area,
                    data=e.data,
                    type=e.type,
                )
                for e in history
            ]
            await publish(settings, Topic.WORKER, [*reversed(history), *copies])

            async def copies_consumed() -> bool:
                consumed = await conn.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = 'cases-workers'"
                    " AND event_id = ANY($1::uuid[])",
                    [e.id for e in copies],
                )
                return bool(consumed == len(copies))

            await wait_until(copies_consumed, within=60)
            assert await row() == once, "nothing changed, not even updated_at"
    finally:
        await conn.close()
