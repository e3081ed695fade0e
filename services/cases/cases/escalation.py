"""The automatic escalation: a ``case_overdue`` alert about a case moves it one level up.

The alerts service raises ``case_overdue`` (on ``alerts.alert.v1``) when a deadline clock of an
open case has ended, with ``about`` = the case id and ``level`` = the level that must act. The
cases service then escalates the case one level, once per alert: :func:`decide` is the pure
decision, :func:`handle_overdue_alert` applies it. The alert's id is remembered whatever the
decision, so a redelivered or replayed alert decides nothing new (idempotent).

No escalation when the alert is stale: the case is closed, was escalated past the alert's level
meanwhile, is already national, or none of its clocks has ended any more (a clarification was
answered after the alert was raised).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from enum import StrEnum

from services.cases.cases.levels import next_level, rank
from services.cases.cases.model import Case
from shared.contract.codes import EscalationReason, Level
from shared.contract.envelope import Envelope
from shared.contract.events import AlertRaised

CASE_OVERDUE = "case_overdue"
# Indonesia's easternmost time (WIT, UTC+9, no daylight saving) gives the latest calendar date
# anywhere in the country: an alert raised once a clock ended is never judged a day early.
_WIT = timezone(timedelta(hours=9))


@dataclass(frozen=True)
class OverdueAlert:
    """What the decision needs of an ``alert-raised`` event (the consumer builds it)."""

    alert_id: uuid.UUID  # the envelope's subject
    rule: str
    about: str
    level: Level
    raised_on: date  # the alert's time as an Indonesian calendar date

    @classmethod
    def from_event(cls, envelope: Envelope, data: AlertRaised) -> OverdueAlert:
        return cls(
            alert_id=uuid.UUID(envelope.subject),
            rule=data.rule,
            about=data.about,
            level=data.level,
            raised_on=envelope.time.astimezone(_WIT).date(),
        )


class Outcome(StrEnum):
    ESCALATE = "escalate"
    ALREADY_HANDLED = "already_handled"  # this alert was decided before
    NOT_FOR_THIS_CASE = "not_for_this_case"  # another rule, or about another subject
    CASE_CLOSED = "case_closed"
    ALREADY_ESCALATED = "already_escalated"  # the case is above the alert's level
    AT_NATIONAL_LEVEL = "at_national_level"
    NO_CLOCK_ENDED = "no_clock_ended"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    to_level: Level | None = None

    @property
    def escalates(self) -> bool:
        return self.outcome is Outcome.ESCALATE


def decide(case: Case, alert: OverdueAlert) -> Decision:
    """What the case does on ``alert`` (pure: nothing changes)."""
    if alert.rule != CASE_OVERDUE or alert.about != str(case.id):
        return Decision(Outcome.NOT_FOR_THIS_CASE)
    if alert.alert_id in case.handled_alerts:
        return Decision(Outcome.ALREADY_HANDLED)
    if not case.is_open:
        return Decision(Outcome.CASE_CLOSED)
    if rank(case.level) > rank(alert.level):
        return Decision(Outcome.ALREADY_ESCALATED)
    to_level = next_level(case.level)
    if to_level is None:
        return Decision(Outcome.AT_NATIONAL_LEVEL)
    if not case.clocks.ended(alert.raised_on):
        return Decision(Outcome.NO_CLOCK_ENDED)
    return Decision(Outcome.ESCALATE, to_level)


def handle_overdue_alert(case: Case, alert: OverdueAlert) -> Decision:
    """Apply :func:`decide`: escalate, or remember the alert as ignored."""
    decision = decide(case, alert)
    if decision.escalates:
        case.escalate(EscalationReason.CASE_OVERDUE, alert_id=alert.alert_id)
    elif decision.outcome not in (Outcome.ALREADY_HANDLED, Outcome.NOT_FOR_THIS_CASE):
        case.ignore_overdue_alert(alert.alert_id, decision.outcome.value)
    return decision
