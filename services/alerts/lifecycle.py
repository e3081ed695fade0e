"""Alerts and their lifecycle: one live alert per (rule, about), and the events each step makes.

An alert is **raised** by a rule, **acknowledged** by a monitor (who and when are kept here,
never published) and **resolved**, either by a monitor with a note code or by its rule when the
condition clears (``condition_cleared``). Each step returns an :class:`AlertEvent`: the contract
payload (``alert-raised``, ``alert-acknowledged``, ``alert-resolved``) with the alert's new
version as the event's ``sequence``, for the outbox.

One alert per (rule, about) holds the condition (the "latch"): while it is latched, the same
condition again changes nothing. An alert stays latched until it is resolved *and* its condition
has been seen to end. So a monitor who resolves an alert whose condition still holds (a case
still unassigned) is not answered by the same alert again at the next event; once the
condition has ended, it may be raised again, as a new alert, when it returns. Rules whose
condition is an occurrence (an illegal fee: each fee is one) have nothing to wait for: resolving
them releases the latch at once, and the next occurrence raises a new alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shared.areas import is_within
from shared.contract.codes import AlertResolution, AlertRule, AlertStatus, Level, Severity
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import AlertAcknowledged, AlertRaised, AlertResolved, EventData

Key = tuple[AlertRule, str]  # (rule, about)
RAISED, ACKNOWLEDGED, RESOLVED = (
    AlertRaised.event_type,
    AlertAcknowledged.event_type,
    AlertResolved.event_type,
)
MONITOR_NOTES = frozenset(AlertResolution) - {AlertResolution.CONDITION_CLEARED}


class AlertNotFound(LookupError):
    """No live alert has this id."""


class AlertAlreadyResolved(ValueError):
    """The alert is resolved: it can be neither acknowledged nor resolved again."""


@dataclass(slots=True)
class Alert:
    id: uuid.UUID
    rule: AlertRule
    about: str
    severity: Severity
    level: Level  # the level that must act
    area: str  # the area whose monitors see it
    raised_at: datetime
    clears_itself: bool  # False: an occurrence, which only a monitor resolves
    details: dict[str, str] = field(default_factory=dict)  # codes, dates, ids: for the board
    status: AlertStatus = AlertStatus.OPEN
    version: int = 1
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None  # None once resolved: the rule resolved it
    resolved_at: datetime | None = None
    resolution: AlertResolution | None = None
    cleared: bool = False  # its condition has been seen to end

    @property
    def key(self) -> Key:
        return (self.rule, self.about)

    @property
    def latched(self) -> bool:
        return self.status is not AlertStatus.RESOLVED or not self.cleared

    def copy(self) -> Alert:
        """A snapshot (faster than ``dataclasses.replace``, which the outbox path would feel)."""
        return Alert(
            self.id,
            self.rule,
            self.about,
            self.severity,
            self.level,
            self.area,
            self.raised_at,
            self.clears_itself,
            dict(self.details),
            self.status,
            self.version,
            self.acknowledged_by,
            self.acknowledged_at,
            self.resolved_by,
            self.resolved_at,
            self.resolution,
            self.cleared,
        )

    def visible_to(self, scope: str) -> bool:
        """True when a monitor of area ``scope`` may see it (their area or one above)."""
        return is_within(self.area, scope)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One lifecycle step, ready for the outbox."""

    type: str  # alert-raised, alert-acknowledged or alert-resolved
    alert: Alert  # a copy, as the alert stands after the step
    time: datetime
    cause: uuid.UUID | None  # the event that caused it (None: the clock or a monitor)

    @property
    def data(self) -> EventData:
        """The contract payload."""
        alert = self.alert
        if self.type == AlertRaised.event_type:
            return AlertRaised(
                rule=alert.rule, severity=alert.severity, level=alert.level, about=alert.about
            )
        if self.type == AlertAcknowledged.event_type:
            return AlertAcknowledged()
        return AlertResolved(reason=alert.resolution)

    def envelope(self, correlation_id: str | None = None) -> Envelope:
        """The contract event; ``correlation_id`` continues the chain of its cause (the
        causing event's, or the monitor's request)."""
        return new_event(
            source="alerts",
            subject=str(self.alert.id),
            sequence=self.alert.version,
            area=self.alert.area,
            data=self.data,
            time=self.time,
            correlation_id=correlation_id,
            causation_id=None if self.cause is None else str(self.cause),
        )


class AlertBook:
    """The live alerts: every one that is latched, by id and by (rule, about).

    Alerts that are resolved with their condition ended leave the book (they stay in the
    database as history); :attr:`touched` collects every alert changed since it was last taken,
    those that left included, for the wiring step to write.
    """

    def __init__(self, alerts: list[Alert] | None = None) -> None:
        self.by_id: dict[uuid.UUID, Alert] = {}
        self.by_key: dict[Key, Alert] = {}
        self.touched: dict[uuid.UUID, Alert] = {}
        for alert in alerts or []:
            if alert.latched:
                self.by_id[alert.id] = alert
                self.by_key[alert.key] = alert

    def __len__(self) -> int:
        return len(self.by_id)

    def latched(self, key: Key) -> bool:
        return key in self.by_key

    def current(self, key: Key) -> Alert | None:
        return self.by_key.get(key)

    def get(self, alert_id: uuid.UUID) -> Alert:
        try:
            return self.by_id[alert_id]
        except KeyError:
            raise AlertNotFound(str(alert_id)) from None

    def raise_alert(
        self,
        key: Key,
        *,
        severity: Severity,
        level: Level,
        area: str,
        clears_itself: bool,
        details: dict[str, str],
        now: datetime,
        cause: uuid.UUID | None,
        new_id: Callable[[], uuid.UUID],
    ) -> AlertEvent | None:
        """Raise a new alert, unless one for ``key`` is latched (then nothing changes)."""
        if key in self.by_key:
            return None
        rule, about = key
        alert = Alert(
            id=new_id(),
            rule=rule,
            about=about,
            severity=severity,
            level=level,
            area=area,
            raised_at=now,
            clears_itself=clears_itself,
            details=details,
        )
        self.by_id[alert.id] = self.by_key[key] = alert
        return self._step(alert, RAISED, now, cause)

    def clear(self, key: Key, *, now: datetime, cause: uuid.UUID | None) -> AlertEvent | None:
        """The condition of ``key`` has ended: resolve its alert if still open, release it."""
        alert = self.by_key.get(key)
        if alert is None:
            return None
        alert.cleared = True
        self._release(alert)
        if alert.status is AlertStatus.RESOLVED:
            self.touched[alert.id] = alert
            return None
        return self._resolve(alert, None, AlertResolution.CONDITION_CLEARED, now, cause)

    def acknowledge(self, alert_id: uuid.UUID, *, by: str, now: datetime) -> AlertEvent | None:
        """A monitor has seen it. Acknowledging it again changes nothing."""
        alert = self.get(alert_id)
        if alert.status is AlertStatus.RESOLVED:
            raise AlertAlreadyResolved(str(alert_id))
        if alert.status is AlertStatus.ACKNOWLEDGED:
            return None
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by, alert.acknowledged_at = by, now
        return self._step(alert, ACKNOWLEDGED, now, None)

    def resolve(
        self, alert_id: uuid.UUID, *, by: str, note: AlertResolution, now: datetime
    ) -> AlertEvent:
        """A monitor resolves it with a note code (``condition_cleared`` is the rules' own)."""
        if note not in MONITOR_NOTES:
            raise ValueError(f"{note} is not a monitor's note")
        alert = self.get(alert_id)
        if alert.status is AlertStatus.RESOLVED:
            raise AlertAlreadyResolved(str(alert_id))
        if not alert.clears_itself:
            alert.cleared = True
            self._release(alert)
        return self._resolve(alert, by, note, now, None)

    def take_touched(self) -> dict[uuid.UUID, Alert]:
        touched, self.touched = self.touched, {}
        return touched

    def _resolve(
        self,
        alert: Alert,
        by: str | None,
        reason: AlertResolution,
        now: datetime,
        cause: uuid.UUID | None,
    ) -> AlertEvent:
        alert.status = AlertStatus.RESOLVED
        alert.resolved_by, alert.resolved_at, alert.resolution = by, now, reason
        return self._step(alert, RESOLVED, now, cause)

    def _release(self, alert: Alert) -> None:
        self.by_id.pop(alert.id, None)
        if self.by_key.get(alert.key) is alert:
            del self.by_key[alert.key]

    def _step(self, alert: Alert, type: str, now: datetime, cause: uuid.UUID | None) -> AlertEvent:
        if type != RAISED:
            alert.version += 1
        self.touched[alert.id] = alert
        return AlertEvent(type=type, alert=alert.copy(), time=now, cause=cause)
