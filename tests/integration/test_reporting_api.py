"""End to end over the real broker and PostgreSQL: contract events published to the topics are
projected by the service and served by its API, and agree with a rebuild from the log."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from services.reporting.app import create_app
from services.reporting.as_of import summary_as_of
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from shared.contract.envelope import Envelope
from shared.kafka import make_producer
from tests.unit.reporting.events import Consumed, Log, random_stream

pytestmark = pytest.mark.integration

VILLAGE = "53.71.01.1001"


def auth(role: str, area: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area)}"}


async def publish(
    settings: ReportingSettings, events: list[Consumed]
) -> dict[tuple[str, str], int]:
    """Send the events; return the next offset after the last one sent, per topic-partition."""
    producer = make_producer(settings)
    await producer.start()
    try:
        futures = [
            await producer.send(
                e.topic,
                e.envelope.to_json(),
                key=e.envelope.subject.encode(),
                headers=[(k, v.encode()) for k, v in e.envelope.headers().items()],
            )
            for e in events
        ]
        ends: dict[tuple[str, str], int] = {}
        for meta in await asyncio.gather(*futures):
            key = (meta.topic, str(meta.partition))
            ends[key] = max(ends.get(key, 0), meta.offset + 1)
        return ends
    finally:
        await producer.stop()


async def caught_up(
    client: httpx.AsyncClient, wanted: dict[tuple[str, str], int]
) -> dict[str, Any]:
    for _ in range(300):
        body = (await client.get("/v1/watermark", headers=auth("ministry", "ID"))).json()
        have = {(t, p): o for t, parts in body["positions"].items() for p, o in parts.items()}
        if all(have.get(k, 0) >= v for k, v in wanted.items()):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"the projection did not catch up: {body}")


async def test_published_events_are_served_and_agree_with_a_rebuild(
    make_database, service_settings
) -> None:
    dsn = await make_database("services.reporting")
    settings = service_settings(
        ReportingSettings,
        database_url=dsn,
        consumer_name=f"reporting-{uuid.uuid4().hex[:8]}",
        publish_interval_seconds=0.3,
    )
    log = Log()
    wid, reg = log.worker(VILLAGE, sex="female")
    mine = [reg, log.departed(wid, VILLAGE, country="MY"), log.fee(wid, VILLAGE, 2_000_000)]
    # Entered late (recorded in March 2026, like the rest): a registration and a fee of 2011.
    late_id, late_registration = log.worker(VILLAGE, sex="male", registered_on="2011-07-14")
    late = [late_registration, log.fee(late_id, VILLAGE, 1_250_000, charged_on="2011-08-02")]
    events = mine + late + random_stream(600, seed=99)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            sent = await publish(settings, events)
            mark = await caught_up(client, sent)
            assert mark["last_event_time"] is not None

            nation = await client.get("/v1/areas/ID/summary", headers=auth("ministry", "ID"))
            assert nation.status_code == 200
            body = nation.json()
            assert body["area"] == "ID" and body["name"] == "INDONESIA"
            assert len(body["children"]) >= 38  # every province, also those with zero figures
            village = (
                await client.get(
                    f"/v1/areas/{VILLAGE}/summary", headers=auth("village-officer", VILLAGE)
                )
            ).json()
            t = village["totals"]
            assert t["workers"]["departed"]["female"] >= 1
            assert t["workers_abroad_by_destination"]["MY"]["female"] >= 1
            assert t["fees"]["illegal"]["count"] >= 1
            assert t["fees"]["illegal"]["amount"]["IDR"] >= 2_000_000

            # Jurisdiction: a regency officer of 53.71 sees 53.71 and below, nothing else.
            ok = await client.get(
                "/v1/areas/53.71/summary", headers=auth("regency-officer", "53.71")
            )
            assert ok.status_code == 200
            denied = await client.get(
                "/v1/areas/53/summary", headers=auth("regency-officer", "53.71")
            )
            assert denied.status_code == 403
            assert (await client.get("/v1/areas/53/summary")).status_code == 401
            missing = await client.get("/v1/areas/99/summary", headers=auth("ministry", "ID"))
            assert missing.status_code == 404

            # The live view equals a rebuild from the log at the same watermark (a supervisor
            # sees every figure, the GBV types included).
            rebuilt = await summary_as_of(settings, "53", date.today())
            live = (
                await client.get("/v1/areas/53/summary", headers=auth("supervisor", "ID"))
            ).json()
            assert live["totals"] == rebuilt["totals"]
            assert live["children"] == rebuilt["children"]
            # For other roles both withhold the same GBV-type cells.
            ministry = auth("ministry", "ID")
            live = (await client.get("/v1/areas/53/summary", headers=ministry)).json()
            day = date.today().isoformat()
            past = (await client.get(f"/v1/areas/53/summary/as-of/{day}", headers=ministry)).json()
            assert live["suppression"] == past["suppression"] == {
                "k": 5,
                "figures": ["cases.by_gbv_type"],
            }
            assert live["totals"] == past["totals"]
            assert live["children"] == past["children"]

            sums = (
                await client.get("/v1/areas/53/checksums", headers=auth("ministry", "ID"))
            ).json()
            assert len(sums["checksum"]) == 32 and sums["children"]

            series = (
                await client.get("/v1/areas/53/series?from=2026-01", headers=auth("ministry", "ID"))
            ).json()
            march = next(m for m in series["months"] if m["month"] == "2026-03")
            assert march["registered"]["female"] >= 1 and march["fees"]["count"] >= 1
            # Series are keyed by the business date (registered_on, charged_on), not by when
            # the event was recorded: records of 2011 show in 2011's months. (The topics are
            # shared with other tests, hence "at least".)
            months = {
                m["month"]: m
                for m in (
                    await client.get(
                        "/v1/areas/53/series?from=2011-07&to=2011-08",
                        headers=auth("ministry", "ID"),
                    )
                ).json()["months"]
            }
            assert months["2011-07"]["registered"]["male"] >= 1
            assert months["2011-08"]["fees"]["count"] >= 1
            assert months["2011-08"]["fees"]["amount"]["IDR"] >= 1_250_000

            exported = await client.get(
                "/v1/areas/53.71/export.csv", headers=auth("ministry", "ID")
            )
            assert exported.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(exported.text)))
            assert {"area", "name", "level", "figure", "value"} <= set(rows[0])
            assert any(r["figure"] == "workers.departed.female" for r in rows)

            past = await client.get(
                "/v1/areas/53/summary/as-of/2020-01-01", headers=auth("ministry", "ID")
            )
            assert past.status_code == 200
            assert past.json()["totals"]["workers"]["departed"]["female"] == 0

            openapi = (await client.get("/openapi.json")).json()
            assert "/v1/areas/{code}/summary" in openapi["paths"]

            # Agencies receive suppressed summaries through the outbox relay.
            summaries = await read_area_summaries(settings, wanted={"ID", "53", "53.71"})
            assert {"ID", "53", "53.71"} <= set(summaries)
            national = summaries["ID"]
            assert national["k"] == 5 and national["watermark"]["scope"] == "ID"
            assert national["totals"].keys() == t.keys()
            # The API withholds the GBV-type cells the agencies' summaries withhold.
            for code in ("ID", "53", "53.71"):
                answer = (await client.get(f"/v1/areas/{code}/summary", headers=ministry)).json()
                assert (
                    answer["totals"]["cases"]["by_gbv_type"]
                    == summaries[code]["totals"]["cases"]["by_gbv_type"]
                ), code


async def read_area_summaries(
    settings: ReportingSettings, wanted: set[str]
) -> dict[str, dict[str, Any]]:
    """The latest area-summary-updated data per area on the agencies' topic."""
    consumer = AIOKafkaConsumer(
        "reporting.area-summary.v1",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(100):
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for rec in records:
                    env = Envelope.model_validate_json(rec.value)
                    assert env.type == "area-summary-updated" and env.source == "reporting"
                    found[env.subject] = env.data
            if wanted <= set(found):
                break
    finally:
        await consumer.stop()
    return found
