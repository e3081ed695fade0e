"""A report by a worker or a family member, made without an account (docs/domain.md,
reporting by workers and families).

A report names a village (or only a regency), a category, the sex of the worker it is about and
what happened, optionally a GBV type and a way to reach the reporter. :func:`submit` turns it
into an unverified case (see :meth:`Case.open_from_report`) and a :class:`Report` that keeps
what belongs to the reporter — the contact — beside the receipt's digest. Nothing the reporter
gives leaves the service: the case's events carry codes only, and the receipt is random.

What the reporter sees when following up (:func:`public_status`) is derived from the case, so it
cannot drift from it: received, being handled, closed, or not taken up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.cases.cases.model import Case
from services.cases.cases.working_days import WorkingCalendar
from services.cases.reports.receipts import digest, new_receipt
from services.cases.validation import (
    CONTACT_MAX,
    NARRATIVE_MAX,
    area_of_level,
    bounded_text,
    optional_text,
)
from shared.contract.codes import CaseCategory, CaseStatus, ClosureReason, GbvType, Sex


class RejectionReason(StrEnum):
    """Why an officer rejected a report at triage (kept in the service; the case closes as
    ``report_rejected``)."""

    FALSE_REPORT = "false_report"
    NOT_A_MIGRANT_WORKER_MATTER = "not_a_migrant_worker_matter"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    ABUSIVE = "abusive"
    OTHER = "other"


class PublicStatus(StrEnum):
    """What a receipt shows: a status and nothing personal."""

    RECEIVED = "received"  # waiting for an officer's triage
    BEING_HANDLED = "being_handled"  # confirmed (or joined to a case already open)
    CLOSED = "closed"
    NOT_TAKEN_UP = "not_taken_up"  # rejected at triage


@dataclass(frozen=True, kw_only=True)
class Submission:
    """What the reporter sends; checked when built (the HTTP layer answers 422 per field)."""

    area: str  # a village code, or a regency code when the village is not known
    category: CaseCategory
    sex: Sex  # of the worker the report is about
    account: str  # what happened
    gbv_type: GbvType | None = None
    contact: str | None = None

    def __post_init__(self) -> None:
        area_of_level("area", self.area, "village", "regency")
        bounded_text("account", self.account, NARRATIVE_MAX)
        optional_text("contact", self.contact, CONTACT_MAX)


@dataclass(eq=False, kw_only=True)
class Report:
    """The reporter's side of a report: stays in the service, readable only with the case file."""

    receipt_digest: str
    case_id: uuid.UUID
    contact: str | None  # confidential
    received_on: date
    rejection: RejectionReason | None = None


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: the receipt to hand back (once), the report, its case."""

    receipt: str
    report: Report
    case: Case


def submit(
    submission: Submission,
    case_id: uuid.UUID,
    received_on: date,
    working_days: WorkingCalendar | None = None,
) -> Submitted:
    """Open an unverified case for ``submission`` and issue its receipt."""
    case = Case.open_from_report(
        case_id,
        area=submission.area,
        sex=submission.sex,
        category=submission.category,
        gbv_type=submission.gbv_type,
        account=submission.account,
        received_on=received_on,
        working_days=working_days,
    )
    receipt = new_receipt()
    report = Report(
        receipt_digest=digest(receipt),
        case_id=case_id,
        contact=optional_text("contact", submission.contact, CONTACT_MAX),
        received_on=received_on,
    )
    return Submitted(receipt, report, case)


def public_status(case: Case, merged_into: Case | None = None) -> PublicStatus:
    """The status a receipt shows for the report's ``case``; when that case was merged as a
    duplicate, pass the case it was merged into (its progress is the report's)."""
    if case.closure is not None and case.closure.reason is ClosureReason.DUPLICATE:
        if merged_into is None:
            raise ValueError("a merged report's status is that of the case it joined")
        return public_status(merged_into)
    if case.closure is not None and case.closure.reason is ClosureReason.REPORT_REJECTED:
        return PublicStatus.NOT_TAKEN_UP
    if not case.verified:
        return PublicStatus.RECEIVED if case.is_open else PublicStatus.CLOSED
    return PublicStatus.CLOSED if case.status is CaseStatus.CLOSED else PublicStatus.BEING_HANDLED
