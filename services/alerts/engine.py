"""The rules engine: contract events and clock ticks in, alert lifecycle events out.

::

    engine = RulesEngine(clock=ManualClock(...))          # or AlertState.from_rows(...) to resume
    out = engine.handle_batch(envelopes)                  # after each consumed batch
    out += engine.tick()                                  # from the clock loop, any time
    out += engine.acknowledge(alert_id, by="monitor-1")   # a monitor, from the board
    out += engine.resolve(alert_id, by="monitor-1", note=AlertResolution.ACTION_TAKEN)
    changes = engine.state.take_changes()                 # rows to write with the batch

Every call returns the :class:`~services.alerts.lifecycle.AlertEvent` list to put in the outbox,
in order. A batch is applied event by event, then the clock runs the checks that are due, so
the time-driven rules fire once per open condition whether the deadline passed while the
service ran or while it was down. Pure Python, no I/O: the wiring step stores
:attr:`RulesEngine.state` and calls these in the transaction of each batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from services.alerts.clock import Clock, SystemClock
from services.alerts.handlers import HANDLERS
from services.alerts.lifecycle import AlertEvent
from services.alerts.rules import (
    AGENCY_HOTSPOT,
    CASE_CLOCKS,
    CLOCKED,
    RETURN_OVERDUE,
    VILLAGE_SURGE,
    RuleContext,
)
from services.alerts.settings import RuleSettings
from services.alerts.state import AlertState
from shared.contract.codes import AlertResolution
from shared.contract.envelope import Envelope
from shared.contract.ids import uuid7


class RulesEngine:
    def __init__(
        self,
        state: AlertState | None = None,
        settings: RuleSettings | None = None,
        clock: Clock | None = None,
        new_id: Callable[[], uuid.UUID] = uuid7,
    ) -> None:
        self.state = state if state is not None else AlertState()
        self.settings = settings if settings is not None else RuleSettings()
        self.clock = clock if clock is not None else SystemClock()
        self._new_id = new_id
        self.applied = 0  # events a handler read (duplicates included)
        self.ignored = 0  # events of types no rule reads (service-delivered, …)

    def handle(self, envelope: Envelope) -> list[AlertEvent]:
        """One event, then the checks that are due."""
        return self.handle_batch((envelope,))

    def handle_batch(self, envelopes: Iterable[Envelope], *, tick: bool = True) -> list[AlertEvent]:
        """Events in log order (per subject), then the checks that are due.

        ``tick=False`` leaves the due checks to a later :meth:`tick`: while a restarted service
        catches up with the log, a deadline is judged only once every event before now (a late
        assignment, say) has been read.
        """
        events: list[AlertEvent] = []
        ctx = self._context(events)
        handlers = HANDLERS
        for envelope in envelopes:
            handler = handlers.get(envelope.type)
            if handler is None:
                self.ignored += 1
                continue
            ctx.cause = envelope.id
            handler(ctx, envelope)
            self.applied += 1
        ctx.cause = None
        if tick:
            self._run_due(ctx)
        return events

    def tick(self) -> list[AlertEvent]:
        """Run every check due by now (the clock loop calls this; so does every batch)."""
        events: list[AlertEvent] = []
        self._run_due(self._context(events))
        return events

    def next_due(self) -> datetime | None:
        """When the next check falls due: the clock loop may sleep until then."""
        return self.state.agenda.next_due()

    def acknowledge(self, alert_id: uuid.UUID, *, by: str) -> list[AlertEvent]:
        """A monitor acknowledges an alert (again: nothing changes). Raises
        :class:`~services.alerts.lifecycle.AlertNotFound` or ``AlertAlreadyResolved``."""
        event = self.state.alerts.acknowledge(alert_id, by=by, now=self.clock.now())
        return [] if event is None else [event]

    def resolve(self, alert_id: uuid.UUID, *, by: str, note: AlertResolution) -> list[AlertEvent]:
        """A monitor resolves an alert with a note code."""
        return [self.state.alerts.resolve(alert_id, by=by, note=note, now=self.clock.now())]

    def replan(self) -> list[AlertEvent]:
        """Plan every clock-driven check again from the facts, then run those due.

        For after a change of thresholds (a due time planned under the old ones may be wrong),
        or for state rebuilt without its agenda.
        """
        events: list[AlertEvent] = []
        ctx = self._context(events)
        for case_id in self.state.cases:
            for clock in CASE_CLOCKS:
                clock.reconsider(ctx, case_id)
        for worker_id, worker in self.state.workers.items():
            if worker.abroad:
                RETURN_OVERDUE.reconsider(ctx, worker_id)
        for rule, about in list(self.state.alerts.by_key):
            if rule in (AGENCY_HOTSPOT.code, VILLAGE_SURGE.code):
                ctx.schedule(rule, about, ctx.now)
        self._run_due(ctx)
        return events

    def _context(self, events: list[AlertEvent]) -> RuleContext:
        return RuleContext(self.state, self.settings, self.clock.now(), None, self._new_id, events)

    def _run_due(self, ctx: RuleContext) -> None:
        for rule, about in self.state.agenda.pop_due(ctx.now):
            CLOCKED[rule].check(ctx, about)
