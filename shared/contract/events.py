"""Payload (``data``) models of every contract event type, keyed by (type, version).

Payloads carry pseudonymous ids, area codes and categories only: never a NIK, a name, a birth
date, a phone number, an address or a narrative (DOMAIN.md, data protection).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.contract.codes import (
    AlertStatus,
    CaseAction,
    CaseCategory,
    CaseStatus,
    Channel,
    FeeComponent,
    GbvType,
    Legality,
    Level,
    Occupation,
    Severity,
    Sex,
)
from shared.contract.envelope import Envelope
from shared.contract.topics import Topic

# Money travels as a JSON number, never as a float inside Pantau.
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2),
    PlainSerializer(lambda d: int(d) if d == d.to_integral_value() else float(d), when_used="json"),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")]


class EventData(BaseModel):
    """Base of every payload: consumers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# registry.worker.v1 ---------------------------------------------------------------------------
class WorkerRegistered(EventData):
    sex: Sex
    birth_year: int = Field(ge=1900, le=2100)
    procedural: bool = Field(description="false: reported abroad without a procedural placement")
    occupation: Occupation | None = Field(default=None, description="the job applied for")
    registered_on: date


class WorkerVerified(EventData):
    verified_on: date


class WorkerDeparted(EventData):
    occupation: Occupation
    destination_country: CountryCode
    channel: Channel
    agency_id: uuid.UUID | None
    departed_on: date
    contract_end: date | None = None


class WorkerReturned(EventData):
    returned_on: date


class FeeCharged(EventData):
    fee_id: uuid.UUID
    component: FeeComponent
    amount: Amount
    currency: CurrencyCode
    charged_on: date
    agency_id: uuid.UUID | None
    occupation: Occupation | None = Field(
        description="the worker's occupation when charged: placed, else applied for, else null"
    )
    legality: Legality = Field(description="the registry's reading of the zero-cost rule")


# registry.agency.v1 ---------------------------------------------------------------------------
class AgencyLicensed(EventData):
    name: str = Field(description="the agency's registered business name (public)")
    licence_no: str


class AgencySuspended(EventData):
    reason: str | None = None


class AgencyRevoked(EventData):
    reason: str | None = None


# cases.case.v1 --------------------------------------------------------------------------------
class CaseOpened(EventData):
    category: CaseCategory
    gbv_type: GbvType | None
    level: Level
    procedural: bool
    sex: Sex
    worker_id: uuid.UUID | None = None
    status: CaseStatus = CaseStatus.NEW
    due_on: date | None = Field(default=None, description="the next deadline clock, if any")


class CaseAssigned(EventData):
    assignee_id: uuid.UUID = Field(description="pseudonymous id of the case worker")


class CaseEscalated(EventData):
    from_level: Level
    to_level: Level
    reason: str = Field(max_length=500)


class CaseReferred(EventData):
    to: str = Field(description="code of the organisation the case is referred to")
    consent: bool


class CaseActionTaken(EventData):
    action: CaseAction
    status: CaseStatus = Field(description="the case's status after the action")
    due_on: date | None = None


class CaseClosed(EventData):
    reason: str = Field(max_length=200)


class CaseReopened(EventData):
    reason: str = Field(max_length=200)
    due_on: date | None = None


# alerts.alert.v1 ------------------------------------------------------------------------------
class AlertRaised(EventData):
    rule: str
    severity: Severity
    level: Level
    about: str = Field(description="the subject the alert concerns (worker, case, agency, area)")


class AlertAcknowledged(EventData):
    status: AlertStatus = AlertStatus.ACKNOWLEDGED


class AlertResolved(EventData):
    status: AlertStatus = AlertStatus.RESOLVED


# reporting.area-summary.v1 --------------------------------------------------------------------
class AreaSummaryUpdated(EventData):
    name: str
    level: str
    k: int = Field(ge=1, description="cells below k are withheld")
    totals: dict[str, Any] = Field(description="nested counts; a withheld leaf is null")
    watermark: dict[str, Any]


EVENT_MODELS: dict[tuple[str, int], type[EventData]] = {
    ("worker-registered", 1): WorkerRegistered,
    ("worker-verified", 1): WorkerVerified,
    ("worker-departed", 1): WorkerDeparted,
    ("worker-returned", 1): WorkerReturned,
    ("fee-charged", 1): FeeCharged,
    ("agency-licensed", 1): AgencyLicensed,
    ("agency-suspended", 1): AgencySuspended,
    ("agency-revoked", 1): AgencyRevoked,
    ("case-opened", 1): CaseOpened,
    ("case-assigned", 1): CaseAssigned,
    ("case-escalated", 1): CaseEscalated,
    ("case-referred", 1): CaseReferred,
    ("case-action-taken", 1): CaseActionTaken,
    ("case-closed", 1): CaseClosed,
    ("case-reopened", 1): CaseReopened,
    ("alert-raised", 1): AlertRaised,
    ("alert-acknowledged", 1): AlertAcknowledged,
    ("alert-resolved", 1): AlertResolved,
    ("area-summary-updated", 1): AreaSummaryUpdated,
}

TOPIC_OF_TYPE: dict[str, Topic] = {
    **dict.fromkeys(
        [
            "worker-registered",
            "worker-verified",
            "worker-departed",
            "worker-returned",
            "fee-charged",
        ],
        Topic.WORKER,
    ),
    **dict.fromkeys(["agency-licensed", "agency-suspended", "agency-revoked"], Topic.AGENCY),
    **dict.fromkeys(
        [
            "case-opened",
            "case-assigned",
            "case-escalated",
            "case-referred",
            "case-action-taken",
            "case-closed",
            "case-reopened",
        ],
        Topic.CASE,
    ),
    **dict.fromkeys(["alert-raised", "alert-acknowledged", "alert-resolved"], Topic.ALERT),
    "area-summary-updated": Topic.AREA_SUMMARY,
}


class UnknownEventVersion(ValueError):
    """A known type in a version this consumer cannot read: it belongs in the dead-letter topic."""


class UnknownEventType(ValueError):
    """A type this contract does not define (yet): consumers skip it, as the contract's lists
    of types are minimums."""


KNOWN_TYPES: frozenset[str] = frozenset(event_type for event_type, _ in EVENT_MODELS)


def parse_data(envelope: Envelope) -> EventData:
    """Validate ``envelope.data`` against its contract model; raise if it cannot be read."""
    model = EVENT_MODELS.get((envelope.type, envelope.version))
    if model is None:
        if envelope.type not in KNOWN_TYPES:
            raise UnknownEventType(f"no contract for event type {envelope.type}")
        raise UnknownEventVersion(f"cannot read {envelope.type} version {envelope.version}")
    return model.model_validate(envelope.data)
