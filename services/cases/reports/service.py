"""Report use cases: submission without an account, follow-up by receipt, and triage.

Nothing about the reporter leaves this service or reaches a log: the receipt is random and only
its digest is stored; the contact stays in ``reports``; the ``case-opened`` event carries codes
and no correlation id (a client's request id, even digested, could link one person's reports);
the audit row names no one (actor ``public``). The access log names the route, never the path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from services.cases.access.policy import Change, Visibility, visibility
from services.cases.cases import repository as cases
from services.cases.cases.intake import Confirmation
from services.cases.cases.model import Case
from services.cases.cases.schemas import CaseState
from services.cases.cases.service import (
    Mark,
    check,
    envelopes,
    locked,
    state,
    store,
    unattended,
)
from services.cases.dates import not_in_future, today
from services.cases.errors import InvalidField, RuleViolation
from services.cases.reports import repository, triage
from services.cases.reports.model import PublicStatus, Submission, public_status, submit
from services.cases.reports.receipts import digest, normalise
from services.cases.reports.schemas import (
    ConfirmationIn,
    MergeIn,
    ReceiptOut,
    RejectionIn,
    ReportIn,
)
from services.cases.workers.repository import facts_of
from shared.areas import areas, is_within
from shared.auth import Principal
from shared.service import events
from shared.service.errors import NotFound


def _reported_area(body: ReportIn) -> str:
    known = areas()
    if body.village is not None:
        if body.village not in known:
            raise InvalidField("village", "is not a known village code")
        if body.regency is not None and not is_within(body.village, body.regency):
            raise InvalidField("regency", "does not contain the village")
        return body.village
    if body.regency is None:
        raise InvalidField("village", "give the village or, when it is not known, the regency")
    if body.regency not in known:
        raise InvalidField("regency", "is not a known regency code")
    return body.regency


async def submit_report(conn: asyncpg.Connection, body: ReportIn) -> ReceiptOut:
    """Open an unverified case for the report; the receipt is handed back once, never stored."""
    submission = Submission(
        area=_reported_area(body),
        category=body.category,
        sex=body.sex,
        account=body.narrative,
        gbv_type=body.gbv_type,
        contact=body.contact,
    )
    submitted = submit(submission, uuid.uuid4(), today())
    case = submitted.case
    await cases.insert_many(conn, [case])
    await repository.insert(conn, submitted.report)
    await events.append_built(conn, envelopes(case.events, 0, case.area, correlation_id=None))
    await unattended(
        conn,
        actor="public",
        role="public",
        action="report.submit",
        case_id=case.id,
        what="case-opened",
        area=case.area,
    )
    return ReceiptOut(receipt=submitted.receipt)


async def status_of(conn: asyncpg.Connection, receipt: str) -> PublicStatus:
    """What a receipt shows: a status derived from the report's case, nothing personal."""
    if normalise(receipt) is None:
        raise InvalidField("receipt", "is not a receipt (16 letters and digits, e.g. 7KQM-2XRD-…)")
    report = await repository.by_digest(conn, digest(receipt))
    case = await cases.load(conn, report.case_id) if report else None
    if case is None:
        raise NotFound("no report has this receipt")
    merged_into = None
    if case.closure is not None and case.closure.merged_into is not None:
        merged_into = await cases.load(conn, case.closure.merged_into)
    return public_status(case, merged_into)


async def confirm(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ConfirmationIn
) -> CaseState:
    """Confirm a report with the facts as found. A worker named by id must live within the area
    the report named (and the caller's): one outside it is answered exactly as an unknown id,
    before anything given is compared with the worker's record, so that triage tells nobody
    the sex or the village of a worker elsewhere."""
    case = await locked(conn, case_id)
    check(principal, case, Change.TRIAGE)
    village, sex, procedural, agency_id = body.village, body.sex, False, body.agency_id
    if body.worker_id is not None:
        worker = (await facts_of(conn, [body.worker_id])).get(body.worker_id)
        if worker is None or not (
            is_within(worker.village, case.area) and is_within(worker.village, principal.area)
        ):
            raise InvalidField(
                "worker_id", "no registered worker with this id is known in the area reported"
            )
        if sex is not None and sex != worker.sex:
            raise InvalidField("sex", "disagrees with the registry's record of the worker")
        village, sex, procedural = worker.village, worker.sex, worker.procedural
        agency_id = agency_id or worker.agency_id
    if sex is None:
        raise InvalidField("sex", "is required for a worker without worker_id")
    if village is not None and village not in areas():
        raise InvalidField("village", "is not a known village code")
    facts = Confirmation(
        category=body.category,
        gbv_type=body.gbv_type,
        sex=sex,
        procedural=procedural,
        worker_id=body.worker_id,
        agency_id=agency_id,
        village=village,
    )
    mark = Mark.of(case)
    triage.confirm(case, facts)
    await store(conn, case, mark, by=principal)
    return state(case)


async def merge(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: MergeIn
) -> CaseState:
    """Close the report as a duplicate of ``body.into`` (both rows locked, in id order)."""
    if body.into == case_id:
        raise InvalidField("into", "a report cannot be merged into itself")
    closed_on = not_in_future("closed_on", body.closed_on or today())
    first, second = sorted((case_id, body.into))
    loaded: dict[uuid.UUID, Case | None] = {}
    for one in (first, second):
        loaded[one] = await cases.load(conn, one, lock=True)
    case, into = loaded[case_id], loaded[body.into]
    if case is None:
        raise NotFound("no such case")
    check(principal, case, Change.TRIAGE)
    if into is None or visibility(principal, into, datetime.now(UTC)) is Visibility.NONE:
        raise InvalidField("into", "no such case in your jurisdiction")
    marks = Mark.of(case), Mark.of(into)
    triage.merge(case, into, closed_on, body.note)
    await store(conn, case, marks[0], by=principal)
    await store(conn, into, marks[1], by=principal)
    return state(case)


async def reject(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: RejectionIn
) -> CaseState:
    closed_on = not_in_future("closed_on", body.closed_on or today())
    case = await locked(conn, case_id)
    check(principal, case, Change.TRIAGE)
    report = await repository.by_case(conn, case_id)
    if report is None:
        raise RuleViolation("the case is not an untriaged report (close it instead)")
    mark = Mark.of(case)
    triage.reject(case, report, body.reason, closed_on, body.note)
    await store(conn, case, mark, by=principal)
    await repository.record_rejection(conn, report)
    return state(case)
