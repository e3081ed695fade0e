"""Builders of contract events for reporting tests (a stand-in for shared.consumer's type)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.contract.envelope import Envelope, new_event
from shared.contract.events import TOPIC_OF_TYPE, EventData, parse_data

SOURCE = {
    "registry.worker.v1": "registry",
    "registry.agency.v1": "registry",
    "cases.case.v1": "cases",
    "alerts.alert.v1": "alerts",
}


@dataclass(frozen=True)
class Consumed:
    envelope: Envelope
    data: EventData
    topic: str
    partition: int = 0
    offset: int = 0


class Log:
    """Makes consecutive events per subject, with sequences, as a publisher would."""

    def __init__(self, time: datetime | None = None) -> None:
        self.seq: dict[str, int] = {}
        self.time = time or datetime(2026, 3, 10, 8, 0, tzinfo=UTC)

    def event(self, type: str, subject: str, area: str, **data: Any) -> Consumed:
        self.seq[subject] = self.seq.get(subject, 0) + 1
        topic = str(TOPIC_OF_TYPE[type])
        env = new_event(
            type=type,
            source=SOURCE[topic],
            subject=subject,  # type: ignore[arg-type]
            sequence=self.seq[subject],
            area=area,
            data=data,
            time=self.time,
        )
        return Consumed(env, parse_data(env), topic)

    def worker(
        self, area: str, sex: str = "female", procedural: bool = True, subject: str | None = None
    ) -> tuple[str, Consumed]:
        wid = subject or str(uuid.uuid4())
        return wid, self.event(
            "worker-registered",
            wid,
            area,
            sex=sex,
            birth_year=1995,
            procedural=procedural,
            registered_on="2026-03-01",
        )

    def departed(
        self, wid: str, area: str, occupation: str = "housekeeper", country: str = "MY"
    ) -> Consumed:
        return self.event(
            "worker-departed",
            wid,
            area,
            occupation=occupation,
            destination_country=country,
            channel="p3mi",
            agency_id=None,
            departed_on="2026-03-05",
        )

    def fee(
        self,
        wid: str,
        area: str,
        amount: int = 1_000_000,
        legality: str = "illegal",
        component: str = "passport",
    ) -> Consumed:
        return self.event(
            "fee-charged",
            wid,
            area,
            fee_id=str(uuid.uuid4()),
            component=component,
            amount=amount,
            currency="IDR",
            charged_on="2026-03-02",
            agency_id=None,
            occupation="housekeeper",
            legality=legality,
        )

    def case(
        self,
        area: str,
        sex: str = "female",
        category: str = "unpaid_wages",
        gbv_type: str | None = None,
        due_on: str | None = None,
    ) -> tuple[str, Consumed]:
        cid = str(uuid.uuid4())
        return cid, self.event(
            "case-opened",
            cid,
            area,
            category=category,
            gbv_type=gbv_type,
            level="village",
            procedural=True,
            sex=sex,
            due_on=due_on,
        )

    def alert(
        self, area: str, severity: str = "warning", rule: str = "illegal-fee"
    ) -> tuple[str, Consumed]:
        aid = str(uuid.uuid4())
        return aid, self.event(
            "alert-raised",
            aid,
            area,
            rule=rule,
            severity=severity,
            level="regency",
            about=str(uuid.uuid4()),
        )
