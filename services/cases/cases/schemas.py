"""Request and response bodies of the case endpoints (the OpenAPI schemas).

Every text is bounded (``shared.fields``); a narrative or a note stays in this service, so it may
hold anything a person writes except control characters. Dates lie between 1945-08-17 and
2100-12-31 and, where they say when something happened, not in the future.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.cases.case_workers.models import SUBJECT
from services.cases.validation import NARRATIVE_MAX, NOTE_MAX
from shared.contract.codes import (
    ORGANISATION_CODE_MAX,
    ORGANISATION_CODE_PATTERN,
    CaseAction,
    CaseCategory,
    CaseStatus,
    ClosureReason,
    DueClock,
    EscalationReason,
    GbvType,
    IntakeChannel,
    Level,
    ReopeningReason,
    Sex,
)
from shared.fields import Day, Text

VILLAGE_CODE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
Narrative = Annotated[str, Text(NARRATIVE_MAX, lines=True)]
Note = Annotated[str, Text(NOTE_MAX, lines=True)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConsentIn(_In):
    """The survivor's recorded consent."""

    referral: bool = Field(default=False, description="to being referred to another organisation")
    sharing: bool = Field(default=False, description="to the case file going along")


class CaseIn(_In):
    """A case opened by an officer: for a registered worker (``worker_id``; village, sex and the
    procedural flag come from the registry's facts) or for someone never registered
    (``village`` and ``sex``; then non-procedural)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "village": "53.71.01.1001",
                    "sex": "female",
                    "category": "unpaid_wages",
                    "channel": "walk_in",
                    "narrative": "My employer in Johor has not paid me for five months.",
                    "consent": {"referral": True, "sharing": False},
                    "requested_case_worker_sex": "female",
                }
            ]
        }
    )

    worker_id: uuid.UUID | None = Field(default=None, description="a registered worker")
    village: str | None = Field(
        default=None, pattern=VILLAGE_CODE, description="required without worker_id"
    )
    sex: Sex | None = Field(default=None, description="of the worker; required without worker_id")
    category: CaseCategory
    gbv_type: GbvType | None = Field(default=None, description="the GBVIMS type, if any")
    channel: IntakeChannel = Field(description="how the complaint came in (not public_report)")
    narrative: Narrative = Field(description="what happened; confidential, stays here")
    consent: ConsentIn = Field(default_factory=ConsentIn)
    requested_case_worker_sex: Sex | None = Field(
        default=None, description="the survivor asked for a case worker of this sex"
    )
    agency_id: uuid.UUID | None = Field(
        default=None,
        description="the placement agency the complaint names; default: the worker's latest "
        "placement agency as the registry recorded it",
    )
    documents_complete: bool = Field(
        default=False, description="false starts the 30-day documents clock"
    )
    opened_on: Day | None = Field(
        default=None, description="the day it was registered, when entered later; default today"
    )


class EscalationIn(_In):
    reason: EscalationReason
    note: Note | None = Field(default=None, description="stays in the service")


class AssignmentIn(_In):
    assignee: str = Field(
        pattern=SUBJECT, description="the case worker's token subject (in the directory)"
    )


class ReferralIn(_In):
    to: str = Field(
        pattern=ORGANISATION_CODE_PATTERN,
        max_length=ORGANISATION_CODE_MAX,
        description="the organisation's code, e.g. police or uptd_ppa.53 (never a name)",
    )
    override_reason: Note | None = Field(
        default=None,
        description="a supervisor referring without the survivor's consent says why (at least "
        "10 characters; audited, stays in the service)",
    )


class ActionIn(_In):
    action: CaseAction
    taken_on: Day | None = Field(default=None, description="default today; not in the future")


class ClosureIn(_In):
    reason: ClosureReason
    closed_on: Day | None = Field(default=None, description="default today; not in the future")
    note: Note | None = None
    merged_into: uuid.UUID | None = Field(
        default=None, description="the case this one duplicates (exactly when reason is duplicate)"
    )


class ReopeningIn(_In):
    reason: ReopeningReason
    reopened_on: Day | None = Field(default=None, description="default today; not in the future")
    note: Note | None = None


class ConsentChangeIn(_In):
    referral: bool
    sharing: bool


class CaseWorkerRequestIn(_In):
    sex: Sex | None = Field(description="null: no preference any more")


class BreakGlassIn(_In):
    reason: Note = Field(description="why you need this case file now (10 characters or more)")


class Deadline(BaseModel):
    due_on: date | None = Field(description="the day the earliest running deadline clock ends")
    due_clock: DueClock | None


class CaseState(Deadline):
    """A case after a write."""

    id: uuid.UUID
    version: int = Field(description="the sequence of its latest event on cases.case.v1")
    status: CaseStatus
    level: Level
    verified: bool
    assigned: bool


class CaseSummaryOut(Deadline):
    """What everyone in the jurisdiction sees of a case."""

    id: uuid.UUID
    area: str
    category: CaseCategory
    level: Level
    status: CaseStatus
    verified: bool
    opened_on: date
    assigned: bool


class ActionOut(BaseModel):
    action: CaseAction
    taken_on: date
    status: CaseStatus
    recorded_at: datetime


class ReferralOut(BaseModel):
    to: str
    consent: bool
    consent_overridden: bool
    file_shared: bool
    override_reason: str | None
    referred_at: datetime


class EscalationOut(BaseModel):
    from_level: Level
    to_level: Level
    reason: EscalationReason
    note: str | None
    alert_id: uuid.UUID | None
    escalated_at: datetime


class ConsentOut(BaseModel):
    referral: bool
    sharing: bool


class CaseFileOut(BaseModel):
    """The case file: for the assigned case worker, supervisors of the area, officers
    triaging a report, and a break-the-glass grant."""

    narrative: str
    worker_id: uuid.UUID | None
    sex: Sex
    gbv_type: GbvType | None
    procedural: bool
    agency_id: uuid.UUID | None
    channel: IntakeChannel
    consent: ConsentOut
    requested_case_worker_sex: Sex | None
    assignee_id: uuid.UUID | None
    handling_area: str
    closure_reason: ClosureReason | None
    closed_on: date | None
    closure_note: str | None
    merged_into: uuid.UUID | None
    merged_reports: list[uuid.UUID]
    reporter_contact: str | None
    actions: list[ActionOut]
    referrals: list[ReferralOut]
    escalations: list[EscalationOut]


class CaseOut(CaseSummaryOut):
    """A case as the caller may see it: the summary, and the file when ``seen`` is ``file``."""

    seen: Literal["summary", "file"]
    file: CaseFileOut | None
    grant_expires_at: datetime | None = Field(
        description="set when the file is open to you through a break-the-glass grant"
    )


class CasePage(BaseModel):
    items: list[CaseSummaryOut]
    limit: int
    offset: int
    next_offset: int | None


class BreakGlassOut(BaseModel):
    grant_id: uuid.UUID
    case_id: uuid.UUID
    expires_at: datetime
