"""What happened to a case, as the aggregate records it (past tense, plain data).

Each event is either *published* (it becomes a contract event on ``cases.case.v1``, see
:mod:`.publication`, which drops every field marked internal below) or internal (kept by the
service for the case file and its audit trail only). Free text — notes, override reasons — is
internal everywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.cases.cases.deadlines import Deadline
from shared.contract.codes import (
    CaseAction,
    CaseCategory,
    CaseStatus,
    ClosureReason,
    EscalationReason,
    GbvType,
    IntakeChannel,
    Level,
    ReopeningReason,
    Sex,
)


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    case_id: uuid.UUID
    published: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    """What a case is about, as its opening and its triage publish it."""

    area: str
    category: CaseCategory
    gbv_type: GbvType | None
    level: Level
    procedural: bool
    sex: Sex
    worker_id: uuid.UUID | None
    agency_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CaseOpened(CaseEvent):
    facts: CaseFacts
    opened_on: date
    channel: IntakeChannel
    verified: bool
    status: CaseStatus
    due: Deadline | None


@dataclass(frozen=True, kw_only=True)
class CaseVerified(CaseEvent):
    """A report confirmed at triage (its area may have been narrowed to a village)."""

    facts: CaseFacts
    due: Deadline | None


@dataclass(frozen=True, kw_only=True)
class CaseAssigned(CaseEvent):
    assignee_id: uuid.UUID
    requested_sex: Sex | None
    requested_sex_honoured: bool | None


@dataclass(frozen=True, kw_only=True)
class AssignmentLapsed(CaseEvent):
    """The assignee's area does not contain the new handling area after an escalation."""

    published: ClassVar[bool] = False
    assignee_id: uuid.UUID
    level: Level


@dataclass(frozen=True, kw_only=True)
class CaseEscalated(CaseEvent):
    from_level: Level
    to_level: Level
    reason: EscalationReason
    note: str | None  # internal
    alert_id: uuid.UUID | None  # the case_overdue alert that caused it


@dataclass(frozen=True, kw_only=True)
class OverdueAlertIgnored(CaseEvent):
    """A ``case_overdue`` alert that called for no escalation, remembered so a redelivery or a
    replay decides the same."""

    published: ClassVar[bool] = False
    alert_id: uuid.UUID
    why: str


@dataclass(frozen=True, kw_only=True)
class CaseReferred(CaseEvent):
    to: str
    consent: bool
    consent_overridden: bool
    file_shared: bool
    override_reason: str | None  # internal (audited)
    overridden_by: str | None  # internal: the supervisor's token subject


@dataclass(frozen=True, kw_only=True)
class ConsentRecorded(CaseEvent):
    published: ClassVar[bool] = False
    referral: bool
    sharing: bool


@dataclass(frozen=True, kw_only=True)
class CaseWorkerSexRequested(CaseEvent):
    published: ClassVar[bool] = False
    sex: Sex | None


@dataclass(frozen=True, kw_only=True)
class ActionTaken(CaseEvent):
    action: CaseAction
    taken_on: date
    status: CaseStatus
    due: Deadline | None


@dataclass(frozen=True, kw_only=True)
class CaseClosed(CaseEvent):
    reason: ClosureReason
    closed_on: date
    note: str | None  # internal
    merged_into: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CaseReopened(CaseEvent):
    reason: ReopeningReason
    reopened_on: date
    note: str | None  # internal
    status: CaseStatus
    due: Deadline | None


@dataclass(frozen=True, kw_only=True)
class ReportMerged(CaseEvent):
    """A report was merged into this (open) case as a duplicate."""

    published: ClassVar[bool] = False
    report_case_id: uuid.UUID
