"""End to end: a fee recorded through the registry's API raises ``illegal_fee`` on
``alerts.alert.v1``, and the monitors of the worker's regency see it (the registry and the alerts
service each with its own database, meeting only on the topics)."""

from __future__ import annotations

import random
from datetime import date

import httpx

from pantau.simulate import make_nik
from services.alerts.clock import SystemClock
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.contract.envelope import Envelope
from tests.support.alerts import alert_envelopes, alerts_settings, auth, running_alerts
from tests.support.messaging import read_topic

VILLAGE = "53.71.02.1001"  # Kota Kupang


async def test_a_fee_recorded_at_the_registry_raises_illegal_fee(
    make_database, service_settings, kafka_bootstrap
):
    registry = create_registry(
        service_settings(RegistrySettings, database_url=await make_database("services.registry"))
    )
    alerts_dsn = await make_database("services.alerts")
    settings = alerts_settings(service_settings, alerts_dsn)
    async with (
        registry.router.lifespan_context(registry),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=registry), base_url="http://registry"
        ) as client,
        running_alerts(settings, SystemClock()) as alerts,
    ):
        officer = auth("village-officer", VILLAGE)
        nik = make_nik("53.71.02", date(1996, 4, 9), "female", random.randint(5000, 9999))
        worker = await client.post(
            "/v1/workers",
            json={
                "nik": nik,
                "name": "Yuliana Bano",
                "sex": "female",
                "birth_date": "1996-04-09",
                "village": VILLAGE,
                "occupation": "housekeeper",
            },
            headers=officer,
        )
        assert worker.status_code == 201, worker.text
        worker_id = worker.json()["id"]
        fee = await client.post(
            f"/v1/workers/{worker_id}/fees",
            json={
                "component": "passport",
                "amount": 850000,
                "currency": "IDR",
                "charged_on": date.today().isoformat(),
                "agency_id": None,
            },
            headers=officer,
        )
        assert fee.status_code == 201 and fee.json()["legality"] == "illegal", fee.text

        (raised,) = await alert_envelopes(kafka_bootstrap, [worker_id], at_least=1)
        assert (raised.type, raised.data["rule"], raised.data["severity"]) == (
            "alert-raised",
            "illegal_fee",
            "critical",
        )
        assert (raised.area, raised.data["level"]) == ("53.71", "regency")
        fee_event = next(
            e
            for e in (
                Envelope.model_validate_json(r.value)
                for r in await read_topic(
                    kafka_bootstrap,
                    "registry.worker.v1",
                    until=lambda seen: any(
                        bytes(r.key or b"").decode() == worker_id and b"fee-charged" in r.value
                        for r in seen
                    ),
                )
            )
            if e.subject == worker_id and e.type == "fee-charged"
        )
        assert raised.causation_id == str(fee_event.id)
        assert raised.correlation_id == fee.headers["X-Correlation-ID"]

        shown = await alerts.client.get(
            "/v1/alerts",
            params={"rule": "illegal_fee", "limit": 100},
            headers=auth("monitor", "53.71"),
        )
        assert worker_id in {a["about"] for a in shown.json()["items"]}
        other = await alerts.client.get("/v1/alerts", headers=auth("monitor", "53.01"))
        assert worker_id not in {a["about"] for a in other.json()["items"]}
