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
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from shared.contract.codes import (
    ORGANISATION_CODE_MAX,
    ORGANISATION_CODE_PATTERN,
    AlertResolution,
    AlertRule,
    AlertStatus,
    Beneficiary,
    CaseAction,
    CaseCategory,
    CaseStatus,
    Channel,
    ClosureReason,
    DueClock,
    EscalationReason,
    FamilyRelation,
    FeeComponent,
    GbvType,
    IntakeChannel,
    Legality,
    Level,
    Occupation,
    ReopeningReason,
    SanctionReason,
    ServiceKind,
    ServiceProvider,
    Severity,
    Sex,
)
from shared.contract.envelope import AREA_CODE, Envelope
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
    prepared_by: list[ServiceKind] = Field(
        default_factory=list,
        description="the pre-departure services the worker received before leaving (after "
        "the return before this departure, if any), as recorded by then; one delivered but "
        "recorded later says so itself (service-delivered.prepares_departure_on)",
    )


class WorkerReturned(EventData, type="worker-returned", topic=Topic.WORKER):
    returned_on: date
    reintegrated_by: list[ServiceKind] = Field(
        default_factory=list,
        description="the reintegration services the worker took part in within six months "
        "after returned_on that were already recorded (most are recorded later and say so "
        "themselves: service-delivered.reintegrates_return_on)",
    )


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


class ServiceDelivered(EventData, type="service-delivered", topic=Topic.WORKER):
    """A village or a one-roof centre delivered a service to the worker or a family member.

    A family member travels as a relation code and a sex only: their record (year of birth,
    which family member) stays in the registry. The four judgements below are the registry's,
    by the days the services, departures and returns were delivered and made, as known when the
    service is recorded (docs/domain.md, services before departure and after return).
    """

    service_id: uuid.UUID = Field(description="the delivery's own id (the subject is the worker)")
    kind: ServiceKind
    delivered_on: date
    beneficiary: Beneficiary
    sex: Sex = Field(description="of the beneficiary")
    relation: FamilyRelation | None = Field(
        description="the family member's relation to the worker; null for the worker"
    )
    provider: ServiceProvider = Field(description="who delivered it")
    provider_area: str = Field(
        pattern=AREA_CODE,
        description="the area of the village or centre that delivered it (a village for a "
        "village, the recording officer's area for a centre or an office)",
    )
    session_id: uuid.UUID | None = Field(
        default=None, description="the session it was part of, when recorded as one"
    )
    first_of_kind: bool = Field(
        description="the beneficiary's first recorded service of this kind (counts people)"
    )
    worker_abroad: bool = Field(
        description="the worker was abroad on delivered_on (a placement in force that day)"
    )
    prepares_departure_on: date | None = Field(
        description="the day of the worker's departure that this pre-departure service, the "
        "first of its kind to do so, prepared (delivered to the worker on or before that day "
        "and after the return before it); null otherwise"
    )
    first_preparation: bool = Field(
        description="that departure had no pre-departure service before: it now counts as prepared"
    )
    reintegrates_return_on: date | None = Field(
        description="the day of the worker's return after which this reintegration service, "
        "the first of its kind to do so, was delivered to the worker within six months (the "
        "latest return before delivered_on); null otherwise"
    )
    first_reintegration: bool = Field(
        description="that return had no reintegration service within its six months before: "
        "it now counts as followed by reintegration"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.beneficiary is Beneficiary.FAMILY) != (self.relation is not None):
            raise ValueError("relation is set exactly for a family member")
        if self.first_preparation and self.prepares_departure_on is None:
            raise ValueError("first_preparation needs prepares_departure_on")
        if self.first_reintegration and self.reintegrates_return_on is None:
            raise ValueError("first_reintegration needs reintegrates_return_on")
        return self


# registry.agency.v1 ---------------------------------------------------------------------------
class AgencyLicensed(EventData, type="agency-licensed", topic=Topic.AGENCY):
    name: str = Field(description="the agency's registered business name (public)")
    licence_no: str


class AgencySuspended(EventData, type="agency-suspended", version=2, topic=Topic.AGENCY):
    reason: SanctionReason = Field(description="a code; the officer's note is not published")


class AgencyRevoked(EventData, type="agency-revoked", version=2, topic=Topic.AGENCY):
    reason: SanctionReason = Field(description="a code; the officer's note is not published")


class AgencySuspendedV1(EventData, type="agency-suspended", version=1, topic=Topic.AGENCY):
    """Read only: suspensions published before reason codes (free text, no longer written)."""

    reason: str | None = None


class AgencyRevokedV1(EventData, type="agency-revoked", version=1, topic=Topic.AGENCY):
    """Read only: revocations published before reason codes (free text, no longer written)."""

    reason: str | None = None


# cases.case.v1 --------------------------------------------------------------------------------
# No free text travels: reasons are codes, and a case's narrative, its survivor's identity and a
# reporter's contact stay in the cases service (docs/domain.md, data protection).
OrganisationCode = Annotated[
    str,
    Field(
        pattern=ORGANISATION_CODE_PATTERN,
        max_length=ORGANISATION_CODE_MAX,
        description="code of an organisation (snake_case, dots and hyphens allowed), not a name",
    ),
]


class _Deadline(EventData):
    """The case's next deadline after the event, both null when no clock runs."""

    due_on: date | None = Field(
        description="the day the case's earliest running deadline clock ends: from that day on "
        "the case may be closed on its ground (case_overdue), null when none runs"
    )
    due_clock: DueClock | None = Field(description="which clock ends on due_on")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.due_on is None) != (self.due_clock is None):
            raise ValueError("due_on and due_clock are both set or both null")
        return self


class _Opened(_Deadline):
    """What every version of ``case-opened`` carries but the worker."""

    category: CaseCategory
    gbv_type: GbvType | None
    level: Level
    procedural: bool
    sex: Sex = Field(description="of the worker the case is about")
    agency_id: uuid.UUID | None = Field(description="the placement agency the complaint names")
    channel: IntakeChannel = Field(description="how the case came in")
    opened_on: date | None = Field(
        default=None,
        description="the day the case was registered (may be before the event, for a case "
        "entered later); always set by the cases service",
    )
    verified: bool = Field(description="false: a worker's or family's report not yet triaged")
    status: CaseStatus = CaseStatus.NEW


class _Verified(_Deadline):
    """What every version of ``case-verified`` carries but the worker."""

    category: CaseCategory
    gbv_type: GbvType | None
    level: Level
    procedural: bool
    sex: Sex
    agency_id: uuid.UUID | None


# Version 2 of case-opened and case-verified says only whether the case names a registered
# worker: the registry's worker id beside a GBV type and a village would let any reader of the
# topic join the GBV type to the worker's registry events (birth year, sex, occupation, dates)
# and single the survivor out (docs/agencies.md, docs/domain.md data protection).
class CaseOpened(_Opened, type="case-opened", version=2, topic=Topic.CASE):
    """A case was opened, by an officer or from a worker's or family's report."""

    registered_worker: bool = Field(
        description="the case names a worker registered in the registry (whose id stays in "
        "the cases service); false: someone never registered"
    )


class CaseVerified(_Verified, type="case-verified", version=2, topic=Topic.CASE):
    """An officer confirmed a worker's or family's report at triage, with the facts as found."""

    registered_worker: bool = Field(
        description="the officer found the worker in the registry (whose id stays in the cases "
        "service)"
    )


class CaseOpenedV1(_Opened, type="case-opened", version=1, topic=Topic.CASE):
    """Read only: cases opened before version 2, which carried the registry's worker id (no
    longer written)."""

    worker_id: uuid.UUID | None = Field(default=None, description="null: an unregistered worker")

    @property
    def registered_worker(self) -> bool:
        return self.worker_id is not None


class CaseVerifiedV1(_Verified, type="case-verified", version=1, topic=Topic.CASE):
    """Read only: reports confirmed before version 2, which carried the registry's worker id
    (no longer written)."""

    worker_id: uuid.UUID | None

    @property
    def registered_worker(self) -> bool:
        return self.worker_id is not None


class CaseAssigned(EventData, type="case-assigned", topic=Topic.CASE):
    """A case worker was assigned to the case."""

    assignee_id: uuid.UUID = Field(description="pseudonymous id of the case worker")
    requested_sex_honoured: bool | None = Field(
        description="null: the survivor asked for no particular sex of case worker; false: "
        "none of the requested sex was available"
    )


class CaseEscalated(EventData, type="case-escalated", topic=Topic.CASE):
    """The case went one level up."""

    from_level: Level
    to_level: Level
    reason: EscalationReason


class CaseReferred(EventData, type="case-referred", topic=Topic.CASE):
    """The case was referred to another organisation for a service."""

    to: OrganisationCode
    consent: bool = Field(description="the survivor's recorded consent to the referral")
    consent_overridden: bool = Field(description="referred without consent by a supervisor")
    file_shared: bool = Field(description="the case file went along (consent to sharing)")


class CaseActionTaken(_Deadline, type="case-action-taken", topic=Topic.CASE):
    """A service, a workflow step or a deadline step was recorded."""

    action: CaseAction
    taken_on: date
    status: CaseStatus = Field(description="the case's status after the action")


class CaseClosed(_Deadline, type="case-closed", topic=Topic.CASE):
    """The case was closed; every deadline clock stops (due_on and due_clock are null)."""

    reason: ClosureReason
    merged_into: uuid.UUID | None = Field(description="the case a duplicate was merged into")
    closed_on: date | None = Field(
        default=None,
        description="the day the case was closed (may be before the event); always set by the "
        "cases service",
    )

    @model_validator(mode="after")
    def _no_clock_runs(self) -> Self:
        if self.due_on is not None:
            raise ValueError("a closed case has no running deadline: due_on must be null")
        if (self.reason is ClosureReason.DUPLICATE) != (self.merged_into is not None):
            raise ValueError("merged_into is set exactly when the reason is duplicate")
        return self


class CaseReopened(_Deadline, type="case-reopened", topic=Topic.CASE):
    """A closed case was reopened; it goes back to assessment."""

    reason: ReopeningReason


# alerts.alert.v1 ------------------------------------------------------------------------------
# The envelope's ``area`` is the area whose monitors must see the alert, its ``subject`` the
# alert's id, and ``causation_id`` the event that raised or cleared it (null for the clock or a
# monitor). Who acknowledged or resolved an alert stays in the alerts service.
class AlertRaised(EventData, type="alert-raised", topic=Topic.ALERT):
    rule: str = Field(
        description="the rule's code: " + ", ".join(AlertRule) + " (more may be added)"
    )
    severity: Severity
    level: Level = Field(description="the level that must act")
    about: str = Field(description="the subject the alert concerns (worker, case, agency, area)")


class AlertAcknowledged(EventData, type="alert-acknowledged", topic=Topic.ALERT):
    status: AlertStatus = AlertStatus.ACKNOWLEDGED


class AlertResolved(EventData, type="alert-resolved", topic=Topic.ALERT):
    status: AlertStatus = AlertStatus.RESOLVED
    reason: AlertResolution | None = Field(
        default=None,
        description="condition_cleared when its rule saw the condition end, else a monitor's note",
    )


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
