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

    def event(self, type: str, subject: str, area: str, version: int = 1, **data: Any) -> Consumed:
        self.seq[subject] = self.seq.get(subject, 0) + 1
        topic = str(TOPIC_OF_TYPE[type])
        env = new_event(
            type=type,
            version=version,
            source=SOURCE[topic],  # type: ignore[arg-type]
            subject=subject,
            sequence=self.seq[subject],
            area=area,
            data=data,
            time=self.time,
        )
        return Consumed(env, parse_data(env), topic)

    def worker(
        self,
        area: str,
        sex: str = "female",
        procedural: bool = True,
        subject: str | None = None,
        registered_on: str = "2026-03-01",
    ) -> tuple[str, Consumed]:
        wid = subject or str(uuid.uuid4())
        return wid, self.event(
            "worker-registered",
            wid,
            area,
            sex=sex,
            birth_year=1995,
            procedural=procedural,
            registered_on=registered_on,
        )

    def departed(
        self,
        wid: str,
        area: str,
        occupation: str = "housekeeper",
        country: str = "MY",
        departed_on: str = "2026-03-05",
        prepared_by: tuple[str, ...] = (),
    ) -> Consumed:
        return self.event(
            "worker-departed",
            wid,
            area,
            occupation=occupation,
            destination_country=country,
            channel="p3mi",
            agency_id=None,
            departed_on=departed_on,
            prepared_by=list(prepared_by),
        )

    def returned(
        self,
        wid: str,
        area: str,
        returned_on: str = "2026-03-09",
        reintegrated_by: tuple[str, ...] = (),
    ) -> Consumed:
        return self.event(
            "worker-returned",
            wid,
            area,
            returned_on=returned_on,
            reintegrated_by=list(reintegrated_by),
        )

    def fee(
        self,
        wid: str,
        area: str,
        amount: int = 1_000_000,
        legality: str = "illegal",
        component: str = "passport",
        charged_on: str = "2026-03-02",
    ) -> Consumed:
        return self.event(
            "fee-charged",
            wid,
            area,
            fee_id=str(uuid.uuid4()),
            component=component,
            amount=amount,
            currency="IDR",
            charged_on=charged_on,
            agency_id=None,
            occupation="housekeeper",
            legality=legality,
        )

    def service(
        self,
        wid: str,
        area: str,
        kind: str = "pre_departure_training",
        sex: str = "female",
        relation: str | None = None,
        delivered_on: str = "2026-03-03",
        provider: str = "village",
        first_of_kind: bool = True,
        worker_abroad: bool = False,
        prepares_departure_on: str | None = None,
        first_preparation: bool = False,
        reintegrates_return_on: str | None = None,
        first_reintegration: bool = False,
    ) -> Consumed:
        """A ``service-delivered``, to the worker or (``relation``) a family member."""
        return self.event(
            "service-delivered",
            wid,
            area,
            service_id=str(uuid.uuid4()),
            kind=kind,
            delivered_on=delivered_on,
            beneficiary="worker" if relation is None else "family",
            sex=sex,
            relation=relation,
            provider=provider,
            provider_area=area,
            session_id=None,
            first_of_kind=first_of_kind,
            worker_abroad=worker_abroad,
            prepares_departure_on=prepares_departure_on,
            first_preparation=first_preparation,
            reintegrates_return_on=reintegrates_return_on,
            first_reintegration=first_reintegration,
        )

    def case(
        self,
        area: str,
        sex: str = "female",
        category: str = "unpaid_wages",
        gbv_type: str | None = None,
        due_on: str | None = None,
        report: bool = False,
        opened_on: str | None = "2026-03-09",
        version: int = 1,
    ) -> tuple[str, Consumed]:
        """An officer's case, or (``report``) a worker's or family's report not yet triaged;
        ``version`` 2 as the cases service publishes it now (``registered_worker``), 1 as it
        did before (``worker_id``, absent here: an unregistered worker)."""
        cid = str(uuid.uuid4())
        worker: dict[str, Any] = {"registered_worker": False} if version == 2 else {}
        return cid, self.event(
            "case-opened",
            cid,
            area,
            version,
            **worker,
            category=category,
            gbv_type=gbv_type,
            level="village",
            procedural=True,
            sex=sex,
            agency_id=None,
            channel="public_report" if report else "walk_in",
            opened_on=opened_on,
            verified=not report,
            due_on=due_on,
            due_clock="documents_incomplete" if due_on else None,
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


PREPARED_BY_TWO = ("pre_departure_information", "document_assistance")


def random_stream(count: int, seed: int = 7, villages: list[str] | None = None) -> list[Consumed]:
    """A plausible log of about ``count`` events over a few villages of two provinces."""
    import random

    rng = random.Random(seed)
    log = Log()
    villages = villages or [
        "53.71.01.1001",
        "53.71.01.1002",
        "53.71.02.1001",
        "53.01.01.2001",
        "53.10.01.2001",
        "32.01.01.2001",
        "32.73.01.1001",
        "53.71",
        "32",
    ]
    workers: list[tuple[str, str, int]] = []  # (id, village, status index)
    cases: list[tuple[str, str]] = []
    untriaged: set[str] = set()  # reports named only their regency, until triage
    alerts: list[tuple[str, str]] = []
    out: list[Consumed] = []
    while len(out) < count:
        roll = rng.random()
        village = rng.choice([v for v in villages if v.count(".") == 3])
        if roll < 0.3 or not workers:
            wid, ev = log.worker(
                village, sex=rng.choice(["female", "male"]), procedural=rng.random() < 0.8
            )
            workers.append((wid, village, 0))
            out.append(ev)
        elif roll < 0.55:
            i = rng.randrange(len(workers))
            wid, v, st = workers[i]
            if st == 0:
                out.append(log.event("worker-verified", wid, v, verified_on="2026-03-02"))
            elif st == 1:
                out.append(
                    log.departed(
                        wid,
                        v,
                        occupation=rng.choice(["housekeeper", "cook", "fishing_crew"]),
                        country=rng.choice(["MY", "TW", "SA", "HK"]),
                        prepared_by=rng.choice(
                            [(), (), ("pre_departure_information",), PREPARED_BY_TWO]
                        ),
                    )
                )
            elif st == 2:
                reintegrated = rng.choice([(), (), (), ("cooperative",)])
                out.append(log.returned(wid, v, reintegrated_by=reintegrated))
            else:
                continue
            workers[i] = (wid, v, st + 1)
        elif roll < 0.63:
            wid, v, st = rng.choice(workers)
            kind = rng.choice(["pre_departure_training", "rights_training", "cooperative"])
            child = rng.random() < 0.3
            credit = rng.random() < 0.5
            out.append(
                log.service(
                    wid,
                    v,
                    kind="community_parenting" if child else kind,
                    sex=rng.choice(["female", "male"]),
                    relation="child" if child else None,
                    provider=rng.choice(["village", "ltsa"]),
                    first_of_kind=rng.random() < 0.7,
                    worker_abroad=st == 3,
                    prepares_departure_on="2026-03-05"
                    if credit and not child and kind != "cooperative"
                    else None,
                    first_preparation=credit and not child and kind == "rights_training",
                    reintegrates_return_on="2026-03-09"
                    if credit and not child and kind == "cooperative"
                    else None,
                    first_reintegration=credit and not child and kind == "cooperative",
                )
            )
        elif roll < 0.7:
            wid, v, _ = rng.choice(workers)
            out.append(
                log.fee(
                    wid,
                    v,
                    amount=rng.randrange(1, 50) * 100_000,
                    legality=rng.choice(["illegal", "warning"]),
                    component=rng.choice(["passport", "other", "work_visa"]),
                )
            )
        elif roll < 0.8:
            report = rng.random() < 0.2
            cid, ev = log.case(
                village[:5] if report else village,
                sex=rng.choice(["female", "male"]),
                category=rng.choice(["unpaid_wages", "trafficking", "sick"]),
                gbv_type=rng.choice([None, "rape", "physical_assault"]),
                due_on=rng.choice([None, "2026-01-15", "2099-01-01"]),
                report=report,
            )
            cases.append((cid, village))
            if report:
                untriaged.add(cid)
            out.append(ev)
        elif roll < 0.88 and cases:
            cid, v = rng.choice(cases)
            kind = rng.choice(["esc", "act", "close", "reopen"])
            if cid in untriaged:
                untriaged.discard(cid)
                out.append(
                    log.event(
                        "case-verified",
                        cid,
                        v,  # triage found the village
                        category=rng.choice(["unpaid_wages", "trafficking"]),
                        gbv_type=None,
                        level="province",
                        procedural=True,
                        sex=rng.choice(["female", "male"]),
                        worker_id=None,
                        agency_id=None,
                        due_on="2026-01-20",
                        due_clock="documents_incomplete",
                    )
                )
            elif kind == "esc":
                out.append(
                    log.event(
                        "case-escalated",
                        cid,
                        v,
                        from_level="village",
                        to_level="regency",
                        reason="beyond_level_authority",
                    )
                )
            elif kind == "act":
                out.append(
                    log.event(
                        "case-action-taken",
                        cid,
                        v,
                        action="medical",
                        taken_on="2026-01-05",
                        status="service_provision",
                        due_on="2026-02-01",
                        due_clock="clarification_unanswered",
                    )
                )
            elif kind == "close":
                out.append(
                    log.event(
                        "case-closed",
                        cid,
                        v,
                        reason="resolved",
                        merged_into=None,
                        due_on=None,
                        due_clock=None,
                    )
                )
            else:
                out.append(
                    log.event(
                        "case-reopened",
                        cid,
                        v,
                        reason="new_information",
                        due_on=None,
                        due_clock=None,
                    )
                )
        elif roll < 0.95 or not alerts:
            area = rng.choice(villages)
            aid, ev = log.alert(
                area,
                severity=rng.choice(["info", "warning", "critical"]),
                rule=rng.choice(["illegal-fee", "deadline"]),
            )
            alerts.append((aid, area))
            out.append(ev)
        else:
            aid, area = rng.choice(alerts)
            out.append(log.event(rng.choice(["alert-acknowledged", "alert-resolved"]), aid, area))
    return out
