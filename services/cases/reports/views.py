"""HTTP routes of reports: sending one without an account, following it up by receipt, and the
officers' triage of the case it became."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status

from services.cases.cases.views import add_step
from services.cases.errors import InvalidField
from services.cases.reports import service
from services.cases.reports.schemas import (
    ConfirmationIn,
    MergeIn,
    ReceiptOut,
    RejectionIn,
    ReportIn,
    ReportStatusOut,
)
from services.cases.roles import Officer
from shared.service.db import Pool, transaction
from shared.service.errors import (
    ErrorOut,
    FieldError,
    InvalidFields,
    RateLimitedOut,
    ValidationErrorOut,
)
from shared.service.limits import limited_by_address

router = APIRouter(tags=["reports"])

PUBLIC_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationErrorOut, "description": "a field is at fault (never echoed)"},
    429: {"model": RateLimitedOut, "description": "too many from your address; see Retry-After"},
}


@router.post(
    "/v1/reports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReceiptOut,
    summary="Report a problem, without an account",
    responses=PUBLIC_RESPONSES,
    dependencies=[Depends(limited_by_address("public_writes"))],
)
async def send_report(body: ReportIn, pool: Pool) -> ReceiptOut:
    """For workers and their families: name the village (or only the regency), what it is about,
    the worker's sex and what happened; optionally how to reach you. The answer is a receipt to
    follow the report up with, shown only this once. An officer triages the report: it becomes a
    case, joins a case already open, or is not taken up. Nothing you send is published, and
    nothing identifying you is logged. Limited per address (429 with Retry-After)."""
    async with transaction(pool) as conn:
        return await service.submit_report(conn, body)


@router.get(
    "/v1/reports/{receipt}",
    response_model=ReportStatusOut,
    summary="Follow a report up by its receipt",
    responses={**PUBLIC_RESPONSES, 404: {"model": ErrorOut, "description": "no such receipt"}},
    dependencies=[Depends(limited_by_address("public_reads"))],
)
async def report_status(
    receipt: Annotated[str, Path(max_length=40, description="e.g. 7KQM-2XRD-9PBA-VN4T")],
    pool: Pool,
) -> ReportStatusOut:
    """`received` (waiting for an officer), `being_handled`, `closed` or `not_taken_up`: nothing
    else. Case, spaces, dashes and O/I/L for 0/1 do not matter."""
    try:
        async with transaction(pool) as conn:
            return ReportStatusOut(status=await service.status_of(conn, receipt))
    except InvalidField as exc:  # the receipt is a path parameter: say so, not "body"
        message = exc.message.removeprefix(f"{exc.field}: ")
        raise InvalidFields([FieldError(exc.field, message, location="path")]) from None


add_step(
    "/v1/cases/{case_id}/confirmation",
    ConfirmationIn,
    service.confirm,
    name="confirm_report",
    summary="Triage: confirm a report with the facts found",
    description="The report becomes an ordinary case (publishes `case-verified`): its level may "
    "rise with the confirmed category, never fall; a village may be named within the reported "
    "regency.",
    who=Officer,
    on=router,
)
add_step(
    "/v1/cases/{case_id}/merge",
    MergeIn,
    service.merge,
    name="merge_report",
    summary="Triage: merge a report into the open case it duplicates",
    description="The report closes as `duplicate` with `merged_into`; its receipt then follows "
    "that case.",
    who=Officer,
    on=router,
)
add_step(
    "/v1/cases/{case_id}/rejection",
    RejectionIn,
    service.reject,
    name="reject_report",
    summary="Triage: reject a report",
    description="With a `RejectionReason` (kept here, as the note); the case closes as "
    "`report_rejected` and the receipt shows `not_taken_up`.",
    who=Officer,
    on=router,
)
