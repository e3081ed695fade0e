"""Payload (``data``) models of every contract event type: the one place an event type is added.

Each model names its own type, version and topic in its class statement::

    class WorkerVerified(EventData, type="worker-verified", topic=Topic.WORKER):
        verified_on: date

and is registered by that alone: :data:`EVENT_MODELS`, :data:`TOPIC_OF_TYPE`, the AsyncAPI
document and :func:`shared.contract.envelope.new_event` all read it from there.

Payloads carry pseudonymous ids, area codes and categories only: never a NIK, a name, a birth
date, a phone number, an address or a narrative (docs/domain.md, data protection).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

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


# Every registered payload model, by (type, version); filled as the classes below are defined.
EVENT_MODELS: dict[tuple[str, int], type[EventData]] = {}


class EventData(BaseModel):
    """Base of every payload: consumers ignore fields they do not know.

    A subclass declares ``type`` (kebab-case, past tense), ``version`` (default 1) and ``topic``
    as class keywords and is thereby part of the contract.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int]
    topic: ClassVar[Topic]

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        version: int = 1,
        topic: Topic | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type is None:
            return  # an intermediate base, not an event of the contract
        if topic is None:
            raise TypeError(f"{cls.__name__}: an event type needs its topic")
        if (type, version) in EVENT_MODELS:
            raise TypeError(f"{cls.__name__}: {type} version {version} is already defined")
        cls.event_type, cls.event_version, cls.topic = type, version, topic
        EVENT_MODELS[(type, version)] = cls


# registry.worker.v1 ---------------------------------------------------------------------------
class WorkerRegistered(EventData, type="worker-registered", topic=Topic.WORKER):
    sex: Sex
    birth_year: int = Field(ge=1900, le=2100)
    procedural: bool = Field(description="false: reported abroad without a procedural placement")
    occupation: Occupation | None = Field(default=None, description="the job applied for")
    registered_on: date


class WorkerVerified(EventData, type="worker-verified", topic=Topic.WORKER):
    verified_on: date


class WorkerDeparted(EventData, type="worker-departed", topic=Topic.WORKER):
    occupation: Occupation
    destination_country: CountryCode
    channel: Channel
    agency_id: uuid.UUID | None
    departed_on: date
    contract_end: date | None = None


class WorkerReturned(EventData, type="worker-returned", topic=Topic.WORKER):
    returned_on: date


class FeeCharged(EventData, type="fee-charged", topic=Topic.WORKER):
    fee_id: uuid.UUID
    component: FeeComponent
    amount: Amount
    currency: CurrencyCode
    charged_on: date
    agency_id: uuid.UUID | None
    occupation: Occupation | None = Field(
        description="the worker's occupation on charged_on, as known when the fee was recorded: "
        "the placement in force that day, else (before any placement) the job applied for, else "
        "the placement the fee preceded or followed; null when unknown"
    )
    legality: Legality = Field(description="the registry's reading of the zero-cost rule")


# registry.agency.v1 ---------------------------------------------------------------------------
class AgencyLicensed(EventData, type="agency-licensed", topic=Topic.AGENCY):
    name: str = Field(description="the agency's registered business name (public)")
    licence_no: str


class AgencySuspended(EventData, type="agency-suspended", topic=Topic.AGENCY):
    reason: str | None = None


class AgencyRevoked(EventData, type="agency-revoked", topic=Topic.AGENCY):
    reason: str | None = None


# cases.case.v1 --------------------------------------------------------------------------------
class CaseOpened(EventData, type="case-opened", topic=Topic.CASE):
    category: CaseCategory
    gbv_type: GbvType | None
    level: Level
    procedural: bool
    sex: Sex
    worker_id: uuid.UUID | None = None
    status: CaseStatus = CaseStatus.NEW
    due_on: date | None = Field(default=None, description="the next deadline clock, if any")


class CaseAssigned(EventData, type="case-assigned", topic=Topic.CASE):
    assignee_id: uuid.UUID = Field(description="pseudonymous id of the case worker")


class CaseEscalated(EventData, type="case-escalated", topic=Topic.CASE):
    from_level: Level
    to_level: Level
    reason: str = Field(max_length=500)


class CaseReferred(EventData, type="case-referred", topic=Topic.CASE):
    to: str = Field(description="code of the organisation the case is referred to")
    consent: bool


class CaseActionTaken(EventData, type="case-action-taken", topic=Topic.CASE):
    action: CaseAction
    status: CaseStatus = Field(description="the case's status after the action")
    due_on: date | None = None


class CaseClosed(EventData, type="case-closed", topic=Topic.CASE):
    reason: str = Field(max_length=200)


class CaseReopened(EventData, type="case-reopened", topic=Topic.CASE):
    reason: str = Field(max_length=200)
    due_on: date | None = None


# alerts.alert.v1 ------------------------------------------------------------------------------
class AlertRaised(EventData, type="alert-raised", topic=Topic.ALERT):
    rule: str
    severity: Severity
    level: Level
    about: str = Field(description="the subject the alert concerns (worker, case, agency, area)")


class AlertAcknowledged(EventData, type="alert-acknowledged", topic=Topic.ALERT):
    status: AlertStatus = AlertStatus.ACKNOWLEDGED


class AlertResolved(EventData, type="alert-resolved", topic=Topic.ALERT):
    status: AlertStatus = AlertStatus.RESOLVED


# reporting.area-summary.v1 --------------------------------------------------------------------
class AreaSummaryUpdated(EventData, type="area-summary-updated", topic=Topic.AREA_SUMMARY):
    name: str
    level: str
    k: int = Field(ge=1, description="cells below k are withheld")
    totals: dict[str, Any] = Field(description="nested counts; a withheld leaf is null")
    watermark: dict[str, Any]


TOPIC_OF_TYPE: dict[str, Topic] = {t: model.topic for (t, _), model in EVENT_MODELS.items()}


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
