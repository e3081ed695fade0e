"""The cases service (port 8002): complaints and gender-responsive case management.

It owns the case files (narratives, survivors' identities, reporters' contacts) and publishes
what happens to cases as events without them on ``cases.case.v1`` (key = case id, area = the
case's village, sequence = the case's version). It keeps a replica of the registry's worker
facts (consuming ``registry.worker.v1``) and escalates a case when an ``alert-raised`` with
rule ``case_overdue`` about it arrives on ``alerts.alert.v1``. A change, its events (outbox),
its audit rows and its Idempotency-Key are committed together; new cases in groups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.cases import answers
from services.cases.case_workers.views import router as case_workers_router
from services.cases.cases import overdue
from services.cases.cases.opening import IntakeQueue, open_many
from services.cases.cases.views import router as cases_router
from services.cases.reports.views import router as reports_router
from services.cases.settings import CasesSettings
from services.cases.workers import replica
from shared.contract.topics import Topic
from shared.service.app import Background, Consumer, Runtime, build_app

DESCRIPTION = """Cases of migrant workers, from a complaint or a report to the ministry: intake,
triage of reports by workers and families, assignment, escalation level by level, referral,
actions, deadlines, closure and reopening.

**Authorization.** `Authorization: Bearer <token>` (see `pantau token`), except the two report
routes, which need no account. Officers (`village-officer`, `regency-officer`,
`province-officer`, `ministry`) open cases in their jurisdiction and triage reports, assign,
escalate, refer, act, close and reopen the cases handled within it. Supervisors oversee the
cases of their area, keep the case workers' directory and may refer without the survivor's
consent, stating a reason. A case worker acts on the cases assigned to them. Monitors read
summaries. Operators see no case.

**Confidentiality.** Everyone in the jurisdiction sees a case's summary (category, level,
status, deadline, whether it is assigned). The case file — the narrative, the survivor's
identity, consent, the reporter's contact, notes — is for the assigned case worker, supervisors
of the area, officers triaging a report, and a case worker or supervisor who breaks the glass
(a stated reason, 3 hours, a case within their province; a limited number of grants). Every
read of a case (also a refused one) and every change is audited.

**Errors.** 401 no or bad token; 403 outside your role or jurisdiction; 404 no such case; 409
the case's state does not allow the step (nothing changes); 422 a field is at fault, named in
`loc` — submitted values are never echoed; 429 a rate limit is spent (`Retry-After`). A refused
request writes nothing, except the audit row of a refused read.

**Idempotency.** Every write with a token accepts `Idempotency-Key` (the same key and body
answer the first answer again, with `Idempotent-Replayed: true`). Reports take none: their
receipt is never stored.

**Events.** `case-opened`, `case-verified`, `case-assigned`, `case-escalated`, `case-referred`,
`case-action-taken`, `case-closed`, `case-reopened` on `cases.case.v1` (see docs/asyncapi.json):
codes, dates, levels and pseudonymous ids only, with the case's next deadline (`due_on`,
`due_clock`) where it may have moved."""

TAGS = [
    {"name": "cases", "description": "Intake, reading, and every step of a case"},
    {"name": "reports", "description": "Reports by workers and families, and their triage"},
    {"name": "case workers", "description": "The directory of case workers"},
]


@asynccontextmanager
async def intake_commit(runtime: Runtime) -> AsyncIterator[IntakeQueue]:
    """The group commit of new cases (``app.state.intake``)."""
    settings = runtime.settings
    assert isinstance(settings, CasesSettings)
    size, wait = settings.intake_batch_size, settings.intake_batch_wait_ms / 1000
    commit = IntakeQueue(runtime.pool, open_many, max_batch=size, max_wait=wait, name="case-intake")
    async with commit:
        yield commit


def create_app(settings: CasesSettings | None = None) -> FastAPI:
    settings = settings or CasesSettings()
    app = build_app(
        settings,
        title="Pantau cases",
        description=DESCRIPTION,
        tags=TAGS,
        routers=[cases_router, reports_router, case_workers_router],
        consumers=[
            Consumer(
                "cases-workers",
                [Topic.WORKER],
                replica.apply,
                batch_size=settings.replica_batch_size,
            ),
            Consumer("cases-alerts", [Topic.ALERT], overdue.handle),
        ],
        background=[Background("intake", intake_commit)],
    )
    answers.install(app)
    return app
