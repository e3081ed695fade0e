"""``case_unassigned``, ``case_deadline_near`` and ``case_overdue``: clocks of an open case.

All three are driven by the clock (:mod:`services.alerts.rules.timed`) and clear by themselves.
A case's deadline is the day its running deadline clock ends (``due_on``, with ``due_clock``
naming which: docs/domain.md, "Cases", Regulation BP2MI 6/2024 art. 30); the clock has ended
at the start of that day (midnight UTC). Every case event may move it: ``case-opened``,
``case-action-taken`` and ``case-reopened`` carry the case's deadline after them (null: no
clock runs); ``case-closed`` stops every clock.
"""

from __future__ import annotations

from datetime import timedelta

from services.alerts.clock import start_of
from services.alerts.facts import CaseFacts
from services.alerts.jurisdiction import area_at, level_above
from services.alerts.rules.context import Finding, RuleContext
from services.alerts.rules.timed import Span, TimedRule
from shared.contract.codes import AlertRule, CaseCategory, Level, Severity

URGENT_CATEGORIES = frozenset({CaseCategory.TRAFFICKING, CaseCategory.SEXUAL_HARASSMENT})


def is_urgent(case: CaseFacts) -> bool:
    """Trafficking, sexual harassment and every GBV case wait 24 h, not 72 h, for a worker."""
    return case.category in URGENT_CATEGORIES or case.gbv_type is not None


def _deadline_details(case: CaseFacts) -> dict[str, str]:
    out = {"due_on": case.due_on.isoformat()} if case.due_on else {}
    if case.due_clock:
        out["due_clock"] = case.due_clock
    return out


class CaseUnassigned(TimedRule):
    """A case not assigned 72 h (setting) after it was opened or reopened, 24 h (setting) for
    trafficking, sexual harassment or any GBV type: ``warning``, ``critical`` for those; about
    the case.

    Level and area: the case's **own level** (the office holding the case must give it a
    case worker), at that level's area enclosing the case's village. Clears when the case is
    assigned or closed.
    """

    code = AlertRule.CASE_UNASSIGNED

    def span(self, ctx: RuleContext, about: str) -> Span | None:
        case = ctx.state.cases.get(about)
        if case is None or case.closed or case.assigned or case.unassigned_since is None:
            return None
        settings = ctx.settings
        hours = (
            settings.case_unassigned_urgent_hours
            if is_urgent(case)
            else settings.case_unassigned_hours
        )
        return case.unassigned_since + timedelta(hours=hours), None

    def finding(self, ctx: RuleContext, about: str) -> Finding:
        case = ctx.state.cases[about]
        level = Level(case.level)
        severity = Severity.CRITICAL if is_urgent(case) else Severity.WARNING
        since = case.unassigned_since.isoformat() if case.unassigned_since else ""
        return Finding(severity, level, area_at(case.area, level), {"unassigned_since": since})


class CaseDeadlineNear(TimedRule):
    """The deadline clock of an open case ends within N days (setting, default 5):
    ``warning``, about the case.

    Level and area: the case's **own level**, which can still act before the case closes
    silently. Clears when the deadline moves further away, the case closes, or the clock ends
    (then ``case_overdue`` takes over).
    """

    code = AlertRule.CASE_DEADLINE_NEAR

    def span(self, ctx: RuleContext, about: str) -> Span | None:
        case = ctx.state.cases.get(about)
        if case is None or case.closed or case.due_on is None:
            return None
        deadline = start_of(case.due_on)
        return deadline - timedelta(days=ctx.settings.case_deadline_near_days), deadline

    def finding(self, ctx: RuleContext, about: str) -> Finding:
        case = ctx.state.cases[about]
        level = Level(case.level)
        return Finding(Severity.WARNING, level, area_at(case.area, level), _deadline_details(case))


class CaseOverdue(TimedRule):
    """The deadline clock of an open case has ended: ``critical``, about the case. The cases
    service escalates the case one level on it.

    Level and area: the **level above** the case's (the nation stays the nation), where the
    case is going, at that level's area enclosing the case's village. Clears when the case
    closes or its deadline moves past now (a new clock); the escalation alone does not.
    """

    code = AlertRule.CASE_OVERDUE

    def span(self, ctx: RuleContext, about: str) -> Span | None:
        case = ctx.state.cases.get(about)
        if case is None or case.closed or case.due_on is None:
            return None
        return start_of(case.due_on), None

    def finding(self, ctx: RuleContext, about: str) -> Finding:
        case = ctx.state.cases[about]
        level = level_above(Level(case.level))
        return Finding(Severity.CRITICAL, level, area_at(case.area, level), _deadline_details(case))
