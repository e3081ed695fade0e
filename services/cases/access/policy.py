"""Who sees what of a case, and who may change it: pure policy over an actor and a case.

Sources: docs/domain.md (who uses it; data protection: GBVIMS principles, Primero, DHIS2).

Seeing (:func:`visibility`, then :func:`disclose`):

- **file** — the narrative, the survivor's identity (worker id, sex), the GBV type, consent, the
  requested sex of case worker, the assignee and a reporter's contact: for those who see it by
  right (:func:`~.scope.sees_file_by_right`: the assigned case worker, supervisors of the
  jurisdiction, officers triaging an unverified report) and for an active break-the-glass grant.
- **summary** — category, level, status, the next deadline, whether it is assigned: for every
  other officer, case worker, supervisor or monitor whose area contains the case's area.
- **nothing** — everyone else; operators always (they run the infrastructure, not cases).

Changing (:func:`require_permission`): officers and supervisors act on cases whose handling
area lies within their own (a case escalated above an office is no longer its to change);
officers triage, assign, escalate, refer, act, close and reopen; supervisors may also record
consent and the requested sex of case worker, and override consent (see ``Case.refer``); the
assigned case worker acts, escalates, refers, closes and records consent and requested sex.
Cases are opened by officers inside their jurisdiction (:func:`may_open`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from services.cases.access.break_glass import BreakGlassGrant
from services.cases.access.scope import covers_handling_area, in_jurisdiction, sees_file_by_right
from services.cases.actors import OFFICERS, Actor
from services.cases.cases.model import Case
from services.cases.errors import NotPermitted
from services.cases.reports.model import Report
from shared.areas import is_within
from shared.auth import Role
from shared.contract.codes import (
    CaseCategory,
    CaseStatus,
    ClosureReason,
    DueClock,
    GbvType,
    IntakeChannel,
    Level,
    Sex,
)


class Visibility(StrEnum):
    NONE = "none"
    SUMMARY = "summary"
    FILE = "file"


_SUMMARY_ROLES = OFFICERS | {Role.CASE_WORKER, Role.SUPERVISOR, Role.MONITOR}


def visibility(
    actor: Actor,
    case: Case,
    now: datetime,
    grants: Iterable[BreakGlassGrant] = (),
) -> Visibility:
    """How much of ``case`` ``actor`` may read at ``now`` (``grants``: the actor's)."""
    if actor.role is Role.OPERATOR:
        return Visibility.NONE
    if sees_file_by_right(actor, case) or any(g.opens(actor, case.id, now) for g in grants):
        return Visibility.FILE
    if actor.role in _SUMMARY_ROLES and in_jurisdiction(actor, case):
        return Visibility.SUMMARY
    return Visibility.NONE


@dataclass(frozen=True, kw_only=True)
class CaseSummary:
    """What anyone in the jurisdiction sees."""

    id: uuid.UUID
    area: str
    category: CaseCategory
    level: Level
    status: CaseStatus
    verified: bool
    opened_on: date
    due_on: date | None
    due_clock: DueClock | None
    assigned: bool


@dataclass(frozen=True, kw_only=True)
class CaseFile:
    """The whole case file: for those who may read it."""

    summary: CaseSummary
    narrative: str
    worker_id: uuid.UUID | None
    sex: Sex
    gbv_type: GbvType | None
    procedural: bool
    agency_id: uuid.UUID | None
    channel: IntakeChannel
    consent_to_referral: bool
    consent_to_sharing: bool
    requested_case_worker_sex: Sex | None
    assignee_id: uuid.UUID | None
    closure_reason: ClosureReason | None
    merged_into: uuid.UUID | None
    reporter_contact: str | None


def disclose(
    case: Case, seen: Visibility, report: Report | None = None
) -> CaseSummary | CaseFile | None:
    """The part of ``case`` that ``seen`` allows (``report``: the case's report, if any)."""
    if seen is Visibility.NONE:
        return None
    due = case.next_deadline
    summary = CaseSummary(
        id=case.id,
        area=case.area,
        category=case.category,
        level=case.level,
        status=case.status,
        verified=case.verified,
        opened_on=case.opened_on,
        due_on=due.due_on if due else None,
        due_clock=due.clock if due else None,
        assigned=case.assignee is not None,
    )
    if seen is Visibility.SUMMARY:
        return summary
    if report is not None and report.case_id != case.id:
        raise ValueError("the report belongs to another case")
    return CaseFile(
        summary=summary,
        narrative=case.narrative,
        worker_id=case.worker_id,
        sex=case.sex,
        gbv_type=case.gbv_type,
        procedural=case.procedural,
        agency_id=case.agency_id,
        channel=case.channel,
        consent_to_referral=case.consent.referral,
        consent_to_sharing=case.consent.sharing,
        requested_case_worker_sex=case.requested_case_worker_sex,
        assignee_id=case.assignee.id if case.assignee else None,
        closure_reason=case.closure.reason if case.closure else None,
        merged_into=case.closure.merged_into if case.closure else None,
        reporter_contact=report.contact if report else None,
    )


class Change(StrEnum):
    TRIAGE = "triage"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    REFER = "refer"
    ACT = "act"
    CLOSE = "close"
    REOPEN = "reopen"
    RECORD_CONSENT = "record_consent"
    REQUEST_CASE_WORKER_SEX = "request_case_worker_sex"


_OFFICER_CHANGES = frozenset(
    {
        Change.TRIAGE,
        Change.ASSIGN,
        Change.ESCALATE,
        Change.REFER,
        Change.ACT,
        Change.CLOSE,
        Change.REOPEN,
    }
)
_ASSIGNEE_CHANGES = frozenset(
    {
        Change.ACT,
        Change.ESCALATE,
        Change.REFER,
        Change.CLOSE,
        Change.RECORD_CONSENT,
        Change.REQUEST_CASE_WORKER_SEX,
    }
)


def may(actor: Actor, case: Case, change: Change) -> bool:
    if actor.role in OFFICERS:
        return change in _OFFICER_CHANGES and covers_handling_area(actor, case)
    if actor.role is Role.SUPERVISOR:
        return covers_handling_area(actor, case)
    if actor.role is Role.CASE_WORKER:
        return change in _ASSIGNEE_CHANGES and case.is_assigned_to(actor.sub)
    return False


def require_permission(actor: Actor, case: Case, change: Change) -> None:
    """Raise :class:`NotPermitted` unless ``actor`` may make ``change`` to ``case``."""
    if not may(actor, case, change):
        raise NotPermitted(
            f"a {actor.role.value} of {actor.area} may not {change.value.replace('_', ' ')} "
            f"this case (handled at {case.level.value} level, by {case.handling_area})"
        )


def may_open(actor: Actor, village: str) -> bool:
    """Officers open cases for villages inside their jurisdiction."""
    return actor.role in OFFICERS and is_within(village, actor.area)
