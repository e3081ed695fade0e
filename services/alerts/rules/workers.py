"""``return_overdue`` and ``non_procedural``: rules about a worker's placement."""

from __future__ import annotations

from datetime import timedelta

from services.alerts.clock import start_of
from services.alerts.facts import CaseFacts, WorkerFacts
from services.alerts.jurisdiction import area_at
from services.alerts.rules.context import Finding, RuleContext
from services.alerts.rules.timed import Span, TimedRule
from shared.contract.codes import AlertRule, Level, Severity


class ReturnOverdue(TimedRule):
    """A departed worker's ``contract_end`` plus a grace period (setting, default 30 days) has
    passed with no ``worker-returned``: ``warning``, about the worker. It fires at the start
    (midnight UTC) of the first day after ``contract_end`` + grace; a departure without a
    ``contract_end`` has no such clock.

    Level and area: the worker's **village**: Law 18/2017 art. 42 gives villages the duty to
    monitor departures and returns, and the village knows the family to ask. Clears on
    ``worker-returned``, or when a new departure moves ``contract_end``.
    """

    code = AlertRule.RETURN_OVERDUE

    def span(self, ctx: RuleContext, about: str) -> Span | None:
        worker = ctx.state.workers.get(about)
        if worker is None or not worker.abroad or worker.contract_end is None:
            return None
        days = ctx.settings.return_overdue_grace_days + 1
        return start_of(worker.contract_end + timedelta(days=days)), None

    def finding(self, ctx: RuleContext, about: str) -> Finding:
        worker = ctx.state.workers[about]
        end = worker.contract_end.isoformat() if worker.contract_end else ""
        return Finding(Severity.WARNING, Level.VILLAGE, worker.village, {"contract_end": end})


class NonProcedural:
    """A worker outside the procedural channel: ``warning``, about the case or the worker.

    * a verified case for an unregistered worker (``registered_worker`` false), about the case;
      a report not yet triaged waits until a case event says it is verified;
    * a departure of a worker never verified by the regency, about the worker.

    Level and area: the **regency** of the village: the regency verifies registrations and
    follows up recruitment outside the channel (with the village, which sees it through the
    regency's monitors). A worker's alert clears if a verification arrives; otherwise a
    monitor resolves it, and a later unverified departure raises it again.
    """

    code = AlertRule.NON_PROCEDURAL

    def on_departure(self, ctx: RuleContext, worker_id: str, worker: WorkerFacts) -> None:
        if worker.verified:
            return
        details = {"departed_on": worker.departed_on.isoformat() if worker.departed_on else ""}
        finding = Finding(
            Severity.WARNING, Level.REGENCY, area_at(worker.village, Level.REGENCY), details
        )
        ctx.raise_alert(self.code, worker_id, finding, clears_itself=False)

    def on_verified(self, ctx: RuleContext, worker_id: str) -> None:
        ctx.clear(self.code, worker_id)

    def on_case(self, ctx: RuleContext, case_id: str, case: CaseFacts) -> None:
        """A case became countable (verified): flag it if its worker is unregistered."""
        if not case.unregistered_worker:
            return
        finding = Finding(
            Severity.WARNING,
            Level.REGENCY,
            area_at(case.area, Level.REGENCY),
            {"category": case.category},
        )
        ctx.raise_alert(self.code, case_id, finding, clears_itself=False)
