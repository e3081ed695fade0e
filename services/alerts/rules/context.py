"""What a rule may do: read the facts and the time, raise or clear its alert, plan a check.

A rule never builds events or touches the alert book itself; it tells the context, which keeps
the lifecycle's promise (one live alert per (rule, about)) and collects the resulting events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from services.alerts.lifecycle import AlertEvent
from services.alerts.settings import RuleSettings
from services.alerts.state import AlertState
from shared.contract.codes import AlertRule, Level, Severity


class Finding(NamedTuple):
    """What a rule found: the alert's severity, the level that must act and the area to tell."""

    severity: Severity
    level: Level
    area: str
    details: dict[str, str]


class RuleContext:
    """One step of the engine: an event being applied (``cause``: its id) or a clock tick
    (``cause`` None). The engine reuses one context for a whole batch, moving ``cause``."""

    __slots__ = ("_new_id", "cause", "events", "now", "settings", "state", "today")

    def __init__(
        self,
        state: AlertState,
        settings: RuleSettings,
        now: datetime,
        cause: uuid.UUID | None,
        new_id: Callable[[], uuid.UUID],
        events: list[AlertEvent],
    ) -> None:
        self.state = state
        self.settings = settings
        self.now = now
        self.today = now.date()
        self.cause = cause
        self._new_id = new_id
        self.events = events

    def first_day(self, window_days: int) -> date:
        """The first day of a window of ``window_days`` days ending today."""
        return self.today - timedelta(days=window_days - 1)

    def latched(self, rule: AlertRule, about: str) -> bool:
        return self.state.alerts.latched((rule, about))

    def raise_alert(
        self, rule: AlertRule, about: str, finding: Finding, *, clears_itself: bool
    ) -> None:
        event = self.state.alerts.raise_alert(
            (rule, about),
            severity=finding.severity,
            level=finding.level,
            area=finding.area,
            clears_itself=clears_itself,
            details=finding.details,
            now=self.now,
            cause=self.cause,
            new_id=self._new_id,
        )
        if event is not None:
            self.events.append(event)

    def clear(self, rule: AlertRule, about: str) -> None:
        event = self.state.alerts.clear((rule, about), now=self.now, cause=self.cause)
        if event is not None:
            self.events.append(event)

    def schedule(self, rule: AlertRule, about: str, at: datetime) -> None:
        self.state.agenda.schedule((rule, about), at)

    def cancel(self, rule: AlertRule, about: str) -> None:
        self.state.agenda.cancel((rule, about))
