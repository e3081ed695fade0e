"""The alerts API's shapes: an alert as shown, a page of them, a resolution, a summary.

:func:`alert_view` is an alert as every reader of its area may see it, the same in the list and
in the live stream; monitors also see who acknowledged and resolved it and the resolving
monitor's comment (:class:`AlertOut`'s last three fields), which never leave this service in
any other way.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.alerts.lifecycle import MONITOR_NOTES, Alert
from shared.areas import NATION, areas
from shared.contract.codes import AlertResolution, AlertRule, AlertStatus, Level, Severity
from shared.contract.envelope import AREA_CODE
from shared.fields import Text

AREA_CODE_PATTERN = AREA_CODE
MAX_COMMENT = 1_000


def area_name(code: str) -> str | None:
    """The area's official name (``KOTA KUPANG`` for ``53.71``), None for a code not known."""
    index = areas()
    return index.name(code) if code in index else None


def about_name(about: str, agency_name: str | None = None) -> str | None:
    """The name of what the alert is about: an area's (``village_surge``), or an agency's
    registered name (public) when ``about`` is an agency the service knows by name."""
    area = area_name(about) if about == NATION or about[:1].isdigit() else None
    return area if area is not None else agency_name


def alert_view(alert: Alert, agency_name: str | None = None) -> dict[str, Any]:
    """An alert as any reader of its area sees it (JSON-ready): the stream's ``data``;
    ``agency_name``: the name of the agency it is about, if it is about a known agency."""
    return {
        "id": str(alert.id),
        "rule": alert.rule.value,
        "severity": alert.severity.value,
        "level": alert.level.value,
        "area": alert.area,
        "area_name": area_name(alert.area),
        "about": alert.about,
        "about_name": about_name(alert.about, agency_name),
        "status": alert.status.value,
        "raised_at": _iso(alert.raised_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "resolved_at": _iso(alert.resolved_at),
        "resolution": alert.resolution.value if alert.resolution else None,
        "details": dict(alert.details),
        "version": alert.version,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class AlertOut(BaseModel):
    """One alert. ``area`` is the area whose monitors must act (the level's area enclosing
    the subject); ``details`` holds codes, dates and ids that explain it (a fee's component and
    day, a case's deadline, the villages counted)."""

    id: uuid.UUID
    rule: AlertRule
    severity: Severity
    level: Level = Field(description="the level that must act")
    area: str
    area_name: str | None = Field(description="the area's official name")
    about: str = Field(description="a worker, case or agency id, or an area code")
    about_name: str | None = Field(
        description="the name of what it is about: an area's official name, or an agency's "
        "registered business name (public, from its latest agency-licensed); null for a worker "
        "or a case (their ids are pseudonymous) or an agency not known by name"
    )
    status: AlertStatus
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: AlertResolution | None = Field(
        description="condition_cleared when its rule saw the condition end, else a monitor's note"
    )
    details: dict[str, str]
    version: int = Field(description="1 when raised, +1 per step (the event's sequence)")
    acknowledged_by: str | None = Field(default=None, description="monitors only")
    resolved_by: str | None = Field(default=None, description="monitors only; null: its rule")
    comment: str | None = Field(default=None, description="monitors only")


class AlertPage(BaseModel):
    """A page of alerts, newest first, and the live stream's position they reflect."""

    items: list[AlertOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="pass as offset for the next page; null at the end")
    position: int = Field(
        description="the last alert change this page reflects: open the live stream with "
        "`after` = this to miss nothing and repeat nothing"
    )


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: AlertResolution = Field(
        description="why: action_taken, referred, false_alarm, duplicate or no_action_needed "
        "(condition_cleared is the rules' own)"
    )
    comment: Annotated[str, Text(MAX_COMMENT, lines=True)] | None = Field(
        default=None,
        description=f"optional, at most {MAX_COMMENT} characters; kept in the alerts service, "
        "shown only to monitors, never published",
    )

    @field_validator("note")
    @classmethod
    def _a_monitors_note(cls, note: AlertResolution) -> AlertResolution:
        if note not in MONITOR_NOTES:
            raise ValueError("condition_cleared is given by the rules, not by a monitor")
        return note


class Counts(BaseModel):
    total: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    by_rule: dict[str, int]


class DayCounts(BaseModel):
    day: date
    by_severity: dict[str, int]


class AlertSummary(BaseModel):
    """What a board shows at a glance: the unresolved alerts counted, and alerts raised per day."""

    area: str
    area_name: str | None
    unresolved: Counts = Field(description="open and acknowledged alerts")
    raised_per_day: list[DayCounts] = Field(
        description="alerts raised each day (UTC) of the last `days` days, oldest first, "
        "whatever their status now"
    )
    position: int = Field(description="the last alert change these counts reflect")
