"""Builders of contract events for the alert rules' tests, with a hand-driven clock.

Payloads are plain dicts, as the consumer hands them over (``envelope.data``), and each is
checked against the contract model where one exists (fields the contract does not define yet,
such as ``due_clock`` or ``verified`` on case events, pass through as unknown fields do).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.alerts.clock import ManualClock
from services.alerts.engine import RulesEngine
from services.alerts.lifecycle import Alert, AlertEvent
from services.alerts.settings import RuleSettings
from services.alerts.state import AlertState
from shared.contract.codes import AlertRule
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import TOPIC_OF_TYPE, parse_data

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# Real villages (shared/areas): three in Kota Kupang (53.71), one in Kupang regency (53.01),
# one in Cilacap, Central Java (33.01).
KUPANG_1, KUPANG_2, KUPANG_3 = "53.71.01.1001", "53.71.01.1002", "53.71.01.1003"
KUPANG_REGENCY_VILLAGE = "53.01.01.2001"
CILACAP = "33.01.01.2001"

SOURCES = {"registry.worker.v1": "registry", "registry.agency.v1": "registry"}


def uid() -> str:
    return str(uuid.uuid4())


class Stream:
    """Events as the publishers would make them: consecutive sequences per subject, the time
    from the shared clock, worker events in the worker's village."""

    def __init__(self, clock: ManualClock | None = None, *, case_version: int = 2) -> None:
        self.clock = clock or ManualClock(START)
        self.seq: dict[str, int] = {}
        self.area_of: dict[str, str] = {}
        # case-opened and case-verified as the cases service publishes them (2: the worker as
        # ``registered_worker``), or as it did before (1: the registry's ``worker_id``).
        self.case_version = case_version

    def event(
        self,
        type: str,
        subject: str,
        area: str,
        *,
        time: datetime | None = None,
        version: int = 1,
        **data: Any,
    ) -> Envelope:
        self.seq[subject] = self.seq.get(subject, 0) + 1
        self.area_of.setdefault(subject, area)
        topic = str(TOPIC_OF_TYPE[type])
        env = new_event(
            type=type,
            version=version,
            source=SOURCES.get(topic, "cases"),  # type: ignore[arg-type]
            subject=subject,
            sequence=self.seq[subject],
            area=area,
            data=data,
            time=time or self.clock.now(),
        )
        parse_data(env)  # the payload agrees with the contract
        return env

    def again(self, env: Envelope) -> Envelope:
        """The same fact under a new event id and the next sequence (a re-publication)."""
        self.seq[env.subject] += 1
        return env.model_copy(update={"id": uuid.uuid4(), "sequence": self.seq[env.subject]})

    # registry.worker.v1 -----------------------------------------------------------------------
    def registered(
        self, village: str = KUPANG_1, worker: str | None = None, procedural: bool = True
    ) -> Envelope:
        return self.event(
            "worker-registered",
            worker or uid(),
            village,
            sex="female",
            birth_year=1998,
            procedural=procedural,
            occupation="housekeeper",
            registered_on=self.clock.now().date().isoformat(),
        )

    def verified(self, worker: str) -> Envelope:
        return self._worker("worker-verified", worker, verified_on=self._today())

    def departed(
        self,
        worker: str,
        *,
        departed_on: date | None = None,
        contract_end: date | None = None,
        agency: str | None = None,
        occupation: str = "housekeeper",
    ) -> Envelope:
        return self._worker(
            "worker-departed",
            worker,
            occupation=occupation,
            destination_country="MY",
            channel="p3mi" if agency else "individual",
            agency_id=agency,
            departed_on=(departed_on or self.clock.now().date()).isoformat(),
            contract_end=contract_end.isoformat() if contract_end else None,
        )

    def returned(self, worker: str) -> Envelope:
        return self._worker("worker-returned", worker, returned_on=self._today())

    def fee(
        self,
        worker: str,
        *,
        component: str = "passport",
        charged_on: date | None = None,
        occupation: str | None = "housekeeper",
        agency: str | None = None,
        fee_id: str | None = None,
    ) -> Envelope:
        illegal = component != "other" and occupation in {"housekeeper", "cook"}
        return self._worker(
            "fee-charged",
            worker,
            fee_id=fee_id or uid(),
            component=component,
            amount=1_500_000,
            currency="IDR",
            charged_on=(charged_on or self.clock.now().date()).isoformat(),
            agency_id=agency,
            occupation=occupation,
            legality="illegal" if illegal else "warning",
        )

    # registry.agency.v1 -----------------------------------------------------------------------
    def licensed(self, agency: str | None = None, seat: str = "53") -> Envelope:
        return self.event(
            "agency-licensed", agency or uid(), seat, name="PT Contoh", licence_no=uid()[:12]
        )

    def suspended(self, agency: str, *, time: datetime | None = None) -> Envelope:
        return self.event(
            "agency-suspended", agency, self.area_of.get(agency, "53"), time=time, reason=None
        )

    def revoked(self, agency: str, *, time: datetime | None = None) -> Envelope:
        return self.event(
            "agency-revoked", agency, self.area_of.get(agency, "53"), time=time, reason=None
        )

    # cases.case.v1 ----------------------------------------------------------------------------
    def opened(
        self,
        area: str = KUPANG_1,
        *,
        case: str | None = None,
        category: str = "unpaid_wages",
        gbv_type: str | None = None,
        level: str = "village",
        worker: str | None = "registered",
        due_on: date | None = None,
        due_clock: str = "documents_incomplete",
        agency: str | None = None,
        verified: bool = True,
        time: datetime | None = None,
    ) -> Envelope:
        return self.event(
            "case-opened",
            case or uid(),
            area,
            time=time,
            category=category,
            gbv_type=gbv_type,
            level=level,
            procedural=worker is not None,
            sex="female",
            **self._case_worker(uid() if worker == "registered" else worker),
            agency_id=agency,
            channel="walk_in" if verified else "public_report",
            verified=verified,
            status="new",
            **_deadline(due_on, due_clock),
        )

    def triaged(
        self,
        case: str,
        *,
        area: str | None = None,
        category: str = "unpaid_wages",
        gbv_type: str | None = None,
        level: str = "village",
        worker: str | None = None,
        agency: str | None = None,
        due_on: date | None = None,
    ) -> Envelope:
        """``case-verified``: an officer confirmed a report, with the facts as found."""
        return self.event(
            "case-verified",
            case,
            area or self.area_of[case],
            category=category,
            gbv_type=gbv_type,
            level=level,
            procedural=worker is not None,
            sex="female",
            **self._case_worker(worker),
            agency_id=agency,
            **_deadline(due_on, "documents_incomplete"),
        )

    def _case_worker(self, worker: str | None) -> dict[str, Any]:
        """The worker of a case event: ``worker`` is a registry id, or None (never registered)."""
        if self.case_version >= 2:
            return {"registered_worker": worker is not None, "version": self.case_version}
        return {"worker_id": worker, "version": 1}

    def assigned(self, case: str, *, time: datetime | None = None) -> Envelope:
        return self._case(
            "case-assigned", case, time=time, assignee_id=uid(), requested_sex_honoured=None
        )

    def escalated(self, case: str, from_level: str, to_level: str) -> Envelope:
        return self._case(
            "case-escalated", case, from_level=from_level, to_level=to_level, reason="case_overdue"
        )

    def referred(self, case: str) -> Envelope:
        return self._case(
            "case-referred",
            case,
            to="legal_aid",
            consent=True,
            consent_overridden=False,
            file_shared=False,
        )

    def action(
        self,
        case: str,
        *,
        status: str = "assessment",
        due_on: date | None = None,
        due_clock: str = "clarification_unanswered",
    ) -> Envelope:
        return self._case(
            "case-action-taken",
            case,
            action="mediation",
            taken_on=self._today(),
            status=status,
            **_deadline(due_on, due_clock),
        )

    def closed(self, case: str, *, reason: str = "resolved", merged_into: str | None = None):
        return self._case(
            "case-closed", case, reason=reason, merged_into=merged_into, **_deadline(None, "")
        )

    def reopened(self, case: str, *, due_on: date | None = None) -> Envelope:
        return self._case(
            "case-reopened",
            case,
            reason="new_information",
            **_deadline(due_on, "documents_incomplete"),
        )

    # ------------------------------------------------------------------------------------------
    def _worker(self, type: str, worker: str, **data: Any) -> Envelope:
        return self.event(type, worker, self.area_of[worker], **data)

    def _case(self, type: str, case: str, *, time: datetime | None = None, **data: Any) -> Envelope:
        return self.event(type, case, self.area_of[case], time=time, **data)

    def _today(self) -> str:
        return self.clock.now().date().isoformat()


def _deadline(due_on: date | None, clock: str) -> dict[str, Any]:
    if due_on is None:
        return {"due_on": None, "due_clock": None}
    return {"due_on": due_on.isoformat(), "due_clock": clock}


class Harness:
    """An engine on a hand-driven clock, and the events of its publisher."""

    def __init__(self, settings: RuleSettings | None = None, start: datetime = START) -> None:
        self.clock = ManualClock(start)
        self.settings = settings or RuleSettings()
        self.engine = RulesEngine(settings=self.settings, clock=self.clock)
        self.log = Stream(self.clock)
        self.out: list[AlertEvent] = []

    def feed(self, *envelopes: Envelope) -> list[AlertEvent]:
        events = self.engine.handle_batch(envelopes)
        self.out += events
        return events

    def after(self, by: timedelta) -> list[AlertEvent]:
        """Move the clock and run what fell due."""
        self.clock.advance(by)
        events = self.engine.tick()
        self.out += events
        return events

    def at(self, moment: datetime) -> list[AlertEvent]:
        self.clock.set(moment)
        events = self.engine.tick()
        self.out += events
        return events

    def restart(self) -> None:
        """A new engine from the stored rows only, on the same clock."""
        rows = self.engine.state.rows()
        self.engine = RulesEngine(
            state=AlertState.from_rows(rows), settings=self.settings, clock=self.clock
        )

    def live(self, rule: AlertRule, about: str) -> Alert | None:
        """The latched alert of (rule, about), if any."""
        return self.engine.state.alerts.current((rule, about))


def summary(events: list[AlertEvent]) -> list[tuple[str, str, str]]:
    """(type, rule, about) of each event, for compact assertions."""
    return [(e.type, e.alert.rule.value, e.alert.about) for e in events]
