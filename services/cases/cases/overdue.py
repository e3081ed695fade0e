"""The automatic escalation: a consumer of ``alerts.alert.v1``.

On an ``alert-raised`` with rule ``case_overdue`` about a case (the alerts service raises it when
a deadline clock of the case has ended), the case goes one level up with reason
``case_overdue`` (:func:`~services.cases.cases.escalation.handle_overdue_alert`). The
``case-escalated`` event names the alert's event as its cause (``causation_id``) and carries the
alert's correlation id. Each alert is decided once: the consumer's inbox skips a redelivered
event, and the case remembers every alert id it decided on (``case_alerts``), so the same alert
published twice, or replayed from the topic, escalates nothing more. Every other alert is
ignored; so is one about a case this service does not hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.cases.cases import repository
from services.cases.cases.escalation import CASE_OVERDUE, OverdueAlert, handle_overdue_alert
from services.cases.cases.service import Mark, store
from shared.consumer import ConsumedEvent
from shared.contract.events import AlertRaised
from shared.logging import get_logger

log = get_logger(__name__)

SYSTEM = "alerts"  # who the audit trail names for what the service does on an alert


def _about_case(data: AlertRaised) -> uuid.UUID | None:
    if data.rule != CASE_OVERDUE:
        return None
    try:
        return uuid.UUID(data.about)
    except ValueError:
        return None


async def handle(conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
    """The consumer's handler: escalate each case an overdue alert of the batch is about."""
    for event in events:
        data = event.data
        if not isinstance(data, AlertRaised):
            continue
        case_id = _about_case(data)
        if case_id is None:
            continue
        case = await repository.load(conn, case_id, lock=True)
        if case is None:
            log.warning("case_overdue alert about an unknown case", case_id=str(case_id))
            continue
        mark = Mark.of(case)
        decision = handle_overdue_alert(case, OverdueAlert.from_event(event.envelope, data))
        await store(conn, case, mark, by=None, system=SYSTEM, causation=event.envelope)
        log.info(
            "case_overdue alert decided",
            case_id=str(case_id),
            alert_id=event.envelope.subject,
            outcome=decision.outcome.value,
        )
