"""The agencies' example consumer (docs/examples/agency_consumer.py) handles each event once.

Delivery is at least once: the same event can be on a topic twice (the outbox relay publishes a
batch again when it did not see the broker's acknowledgement). This runs the example exactly as
docs/agencies.md tells an agency to, as its own process with confluent-kafka, against the real
broker, over a topic holding a duplicated record, an unreadable one, the versions the registry
and the cases service publish now (agency-suspended v2, case-opened v2) and one it cannot read.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contract.codes import FeeComponent, Legality, Occupation, SanctionReason, Sex
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import (
    AgencyLicensed,
    AgencyRevokedV1,
    AgencySuspended,
    FeeCharged,
    WorkerRegistered,
    WorkerVerified,
)
from tests.support.messaging import fresh_topic

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "agency_consumer.py"
VILLAGE = "53.71.01.1001"


def _events() -> list[Envelope]:
    worker, agency = str(uuid.uuid4()), str(uuid.uuid4())
    registered = WorkerRegistered(
        sex=Sex.FEMALE, birth_year=1998, procedural=True, registered_on=date(2025, 3, 1)
    )
    fee = FeeCharged(
        fee_id=uuid.uuid4(),
        component=FeeComponent.PASSPORT,
        amount=Decimal(750_000),
        currency="IDR",
        charged_on=date(2025, 3, 2),
        agency_id=uuid.UUID(agency),
        occupation=Occupation.HOUSEKEEPER,
        legality=Legality.ILLEGAL,
    )
    licensed = AgencyLicensed(name="PT Contoh Penempatan", licence_no="KEP-1/2025")
    return [
        new_event(source="registry", subject=agency, sequence=1, area="53.71", data=licensed),
        new_event(source="registry", subject=worker, sequence=1, area=VILLAGE, data=registered),
        new_event(
            source="registry",
            subject=worker,
            sequence=2,
            area=VILLAGE,
            data=WorkerVerified(verified_on=date(2025, 3, 2)),
        ),
        new_event(source="registry", subject=worker, sequence=3, area=VILLAGE, data=fee),
        # The registry publishes only version 2 of these now; version 1 stays readable.
        new_event(
            source="registry",
            subject=agency,
            sequence=2,
            area="53.71",
            data=AgencySuspended(reason=SanctionReason.ILLEGAL_FEES),
        ),
        new_event(
            source="registry",
            subject=agency,
            sequence=3,
            area="53.71",
            data=AgencyRevokedV1(reason=None),
        ),
        new_event(
            source="cases",
            subject=str(uuid.uuid4()),
            sequence=1,
            area=VILLAGE,
            type="case-opened",
            version=2,
            data=_case_opened_v2(worker),
        ),
    ]


def _case_opened_v2(worker: str) -> dict[str, Any]:
    """case-opened version 2: version 1's data with `worker_id` renamed `registered_worker`."""
    return {
        "due_on": None,
        "due_clock": None,
        "category": "unpaid_wages",
        "gbv_type": None,
        "level": "village",
        "procedural": True,
        "sex": "female",
        "registered_worker": worker,
        "agency_id": None,
        "channel": "walk_in",
        "opened_on": "2025-03-03",
        "verified": True,
        "status": "new",
    }


def _unreadable_version() -> Envelope:
    """A version of a known type this consumer has not checked: it must park it, not count it."""
    return new_event(
        source="registry",
        subject=str(uuid.uuid4()),
        sequence=1,
        area="53.71",
        type="agency-suspended",
        version=3,
        data={"reason": "illegal_fees", "until": "2026-01-01"},
    )


async def _publish(bootstrap: str, topic: str, records: list[tuple[str, bytes, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


def _wire(envelope: Envelope) -> tuple[str, bytes, Any]:
    """The record exactly as the outbox relay sends it."""
    headers = [(name, value.encode()) for name, value in envelope.headers().items()]
    return envelope.subject, envelope.to_json(), headers


async def _run_example(bootstrap: str, topic: str, group: str, db: Path) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--bootstrap",
        bootstrap,
        "--group",
        group,
        "--topic",
        topic,
        "--db",
        str(db),
        "--idle-exit",
        "1.5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    return [json.loads(line) for line in stdout.decode().splitlines()]


def _tally(db: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(db) as conn:
        return {(t, a): n for t, a, n in conn.execute("SELECT type, area, n FROM tally")}


async def test_each_event_is_handled_once_though_delivered_twice(kafka_bootstrap, tmp_path):
    topic = await fresh_topic(kafka_bootstrap, "agency", 3)
    events = _events()
    duplicated = events[2]
    records = [_wire(e) for e in events]
    # The relay publishes a batch again when an acknowledgement was lost: same id, same bytes.
    records.insert(3, _wire(duplicated))
    records.append(("garbage", b"\x00not json", []))
    records.append(_wire(_unreadable_version()))
    await _publish(kafka_bootstrap, topic, records)
    db = tmp_path / "agency.sqlite"

    first = await _run_example(kafka_bootstrap, topic, "agency-a", db)

    handled = Counter(o["handled"] for o in first if "handled" in o)
    assert handled == Counter({str(e.id): 1 for e in events})
    assert [o["duplicate"] for o in first if "duplicate" in o] == [str(duplicated.id)]
    assert sorted(o["parked"] for o in first if "parked" in o) == [
        "agency-suspended version 3 is not understood yet",
        "not a JSON envelope",
    ]
    assert _tally(db) == {
        ("agency-licensed", "53.71"): 1,
        ("agency-suspended", "53.71"): 1,
        ("agency-revoked", "53.71"): 1,
        ("worker-registered", VILLAGE): 1,
        ("worker-verified", VILLAGE): 1,
        ("fee-charged", VILLAGE): 1,
        ("case-opened", VILLAGE): 1,
    }

    # The same group again: its offsets were committed after the effects, nothing is re-read.
    assert await _run_example(kafka_bootstrap, topic, "agency-a", db) == []

    # A new group re-reads the whole topic (as after lost offsets): every event is a duplicate.
    again = await _run_example(kafka_bootstrap, topic, "agency-b", db)
    assert not [o for o in again if "handled" in o]
    assert Counter(o["duplicate"] for o in again if "duplicate" in o) == Counter(
        {str(e.id): 2 if e is duplicated else 1 for e in events}
    )
    assert sum(_tally(db).values()) == len(events)
