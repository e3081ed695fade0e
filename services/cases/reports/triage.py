"""Triage of a report by an officer: confirm it, merge it into an open case, or reject it.

Until triaged, a report's case is unverified (``verified: false`` in ``case-opened``): it can be
escalated (its documents clock runs from the day it came in, so an untriaged report travels up
like any case) and assigned, but takes no action or referral. Triage happens once: a confirmed
report is an ordinary case; a merged one closes as ``duplicate`` naming the case it joined; a
rejected one closes as ``report_rejected`` (the reason code and any note stay in the service).
"""

from __future__ import annotations

from datetime import date

from services.cases.cases.intake import Confirmation
from services.cases.cases.model import Case
from services.cases.errors import InvalidField, RuleViolation, TransitionNotAllowed
from services.cases.reports.model import RejectionReason, Report
from services.cases.validation import NOTE_MAX, optional_text
from shared.contract.codes import ClosureReason


def _require_untriaged(case: Case) -> None:
    if case.verified:
        raise RuleViolation("the case is not an untriaged report")
    if not case.is_open:
        raise TransitionNotAllowed("the report's case is closed; reopen it to triage it again")


def confirm(case: Case, facts: Confirmation) -> None:
    """The report is true: it becomes an ordinary case with the facts as found."""
    _require_untriaged(case)
    case.confirm(facts)


def merge(case: Case, into: Case, on: date, note: str | None = None) -> None:
    """The report is about a case already open: it closes as that case's duplicate."""
    _require_untriaged(case)
    if into.id == case.id:
        raise InvalidField("into", "a report cannot be merged into itself")
    if not into.is_open:
        raise TransitionNotAllowed("a report is merged into an open case only")
    if on < case.opened_on:
        raise InvalidField("closed_on", "must not be before the case was opened")
    note = optional_text("note", note, NOTE_MAX)
    # Every check of both cases is done: neither change below can be refused.
    into.absorb_report(case.id)
    case.close(ClosureReason.DUPLICATE, on, note, merged_into=into.id)


def reject(
    case: Case, report: Report, reason: RejectionReason, on: date, note: str | None = None
) -> None:
    """The report is false or out of scope: its case closes as ``report_rejected``."""
    _require_untriaged(case)
    if report.case_id != case.id:
        raise InvalidField("report", "belongs to another case")
    case.close(ClosureReason.REPORT_REJECTED, on, note)
    report.rejection = reason
