"""Reading a case as the caller may see it (audited, also when refused), and breaking the glass."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.cases.access import audit as audit_records
from services.cases.access.break_glass import BreakGlassGrant, break_the_glass, within_reach
from services.cases.access.policy import (
    CaseFile,
    Visibility,
    disclose,
    visibility,
)
from services.cases.cases import repository
from services.cases.cases.model import Case
from services.cases.cases.schemas import (
    ActionOut,
    BreakGlassOut,
    CaseFileOut,
    CaseOut,
    CaseSummaryOut,
    ConsentOut,
    EscalationOut,
    ReferralOut,
)
from services.cases.cases.service import audit_entry, common_fields
from services.cases.reports import repository as reports
from services.cases.reports.model import Report
from shared.auth import Principal, principal_key
from shared.contract.codes import IntakeChannel
from shared.service import audit
from shared.service.context import current_correlation_id
from shared.service.errors import NotFound
from shared.service.limits import RateLimits

GRANTS_BUDGET = "break_glass"  # the setting CASES_LIMIT_BREAK_GLASS: grants per caller


# -- reading ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    """The outcome of a read: what the caller saw (``none``: refused, but audited)."""

    seen: Visibility
    case: CaseOut | None


async def read(conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID) -> Read:
    """The case as ``principal`` may see it; the read is audited whatever was seen."""
    case = await repository.load(conn, case_id)
    if case is None:
        raise NotFound("no such case")
    now = datetime.now(UTC)
    grants = await repository.grants_of(conn, principal.sub, case_id, now)
    seen = visibility(principal, case, now, grants)
    grant = _grant_used(principal, case, now, grants) if seen is Visibility.FILE else None
    record = audit_records.read(principal, case.id, seen, now, grant)
    await audit.record_many(conn, [audit_entry(principal, record, current_correlation_id())])
    if seen is Visibility.NONE:
        return Read(seen, None)
    report = await _report_of(conn, case) if seen is Visibility.FILE else None
    disclosed = disclose(case, seen, report)
    summary = summary_of(case)
    if not isinstance(disclosed, CaseFile):
        return Read(
            seen, CaseOut(**summary.model_dump(), seen="summary", file=None, grant_expires_at=None)
        )
    history = await repository.history(conn, case.id)
    closure = case.closure
    file = CaseFileOut(
        narrative=disclosed.narrative,
        worker_id=disclosed.worker_id,
        sex=disclosed.sex,
        gbv_type=disclosed.gbv_type,
        procedural=disclosed.procedural,
        agency_id=disclosed.agency_id,
        channel=disclosed.channel,
        consent=ConsentOut(
            referral=disclosed.consent_to_referral, sharing=disclosed.consent_to_sharing
        ),
        requested_case_worker_sex=disclosed.requested_case_worker_sex,
        assignee_id=disclosed.assignee_id,
        handling_area=case.handling_area,
        closure_reason=disclosed.closure_reason,
        closed_on=closure.closed_on if closure else None,
        closure_note=closure.note if closure else None,
        merged_into=disclosed.merged_into,
        merged_reports=history.merged_reports,
        reporter_contact=disclosed.reporter_contact,
        actions=[ActionOut(**a) for a in history.actions],
        referrals=[ReferralOut.model_validate(r) for r in history.referrals],
        escalations=[EscalationOut(**e) for e in history.escalations],
    )
    return Read(
        seen,
        CaseOut(
            **summary.model_dump(),
            seen="file",
            file=file,
            grant_expires_at=grant.expires_at if grant else None,
        ),
    )


def _grant_used(
    principal: Principal, case: Case, now: datetime, grants: Sequence[BreakGlassGrant]
) -> BreakGlassGrant | None:
    """The grant a file read relies on (None when the caller sees the file by right)."""
    if visibility(principal, case, now) is Visibility.FILE:
        return None
    return next((g for g in grants if g.opens(principal, case.id, now)), None)


async def _report_of(conn: asyncpg.Connection, case: Case) -> Report | None:
    if case.channel is not IntakeChannel.PUBLIC_REPORT:
        return None
    return await reports.by_case(conn, case.id)


def summary_of(case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        **common_fields(case), area=case.area, category=case.category, opened_on=case.opened_on
    )


# -- break the glass -------------------------------------------------------------------------------
async def open_the_glass(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: uuid.UUID,
    reason: str,
    duration: timedelta,
    limits: RateLimits | None = None,
) -> BreakGlassOut:
    """A grant opening the case file to ``principal`` for ``duration``, audited (the stated
    reason stays on the grant's row).

    A case outside the caller's reach (their province) is answered as an unknown id, 404 with
    the same body, so the route tells nobody which case ids exist. A caller whose budget of
    grants (``limits``) is spent is answered 429 before the case is looked at, whatever the id;
    only a grant made spends from it (an idempotent replay runs none of this).
    """
    key = f"caller:{principal_key(principal)}"
    if limits is not None:
        limits.check(GRANTS_BUDGET, key)
    case = await repository.load(conn, case_id)
    if case is None or not within_reach(principal, case):
        raise NotFound("no such case")
    grant = break_the_glass(principal, case, reason, datetime.now(UTC), uuid.uuid4(), duration)
    if limits is not None:
        limits.spend(GRANTS_BUDGET, key)
    await repository.add_grant(conn, grant)
    record = audit_records.break_glass(principal, grant)
    await audit.record_many(conn, [audit_entry(principal, record, current_correlation_id())])
    return BreakGlassOut(grant_id=grant.id, case_id=case.id, expires_at=grant.expires_at)
