"""Alerts: open (or acknowledged) alerts by severity, rule and status; alerts raised per month
(by the event's time: alert events carry no date of their own)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.reporting.projections.kind import (
    Attrs,
    Breakdowns,
    Flows,
    LeafPath,
    Metric,
    Row,
    Series,
    SubjectKind,
    breakdown,
    count,
)
from shared.contract.codes import Severity
from shared.contract.events import AlertAcknowledged, AlertRaised, AlertResolved


def _open_leaves(severity: str, rule: str, _status: str) -> Iterable[LeafPath]:
    yield count(f"alerts_open/{severity}")
    yield count(f"alerts_open_by_rule/{rule}")


def _open_equations(paths: Sequence[str]) -> Iterable[Breakdowns]:
    yield breakdown(paths, "alerts_open", ""), breakdown(paths, "alerts_open_by_rule", "")


ALERTS_OPEN = Metric(
    "alerts_open",
    dims=("severity", "rule", "status"),
    leaves=_open_leaves,
    template=tuple(f"alerts_open/{s.value}" for s in Severity),
    dynamic=("alerts_open_by_rule",),
    equations=_open_equations,
)

RAISED = Series("alerts_raised", by=None)


def raised(data: AlertRaised, flows: Flows) -> Attrs:
    flows.month(RAISED, flows.time, None)
    return {
        "severity": str(data.severity),
        "rule": data.rule,
        "level": str(data.level),
        "status": "open",
    }


def acknowledged(alert: Attrs, data: AlertAcknowledged, flows: Flows) -> None:
    if alert["status"] == "open":
        alert["status"] = "acknowledged"


def resolved(alert: Attrs, data: AlertResolved, flows: Flows) -> None:
    alert["status"] = "resolved"


def contributions(alert: Attrs) -> Iterable[Row]:
    if alert["status"] == "resolved":
        return ()
    return (ALERTS_OPEN.row(alert),)


ALERT = SubjectKind(
    "alert",
    fields=("severity", "rule", "level", "status"),
    created_by={AlertRaised: raised},
    changed_by={AlertAcknowledged: acknowledged, AlertResolved: resolved},
    contributes=contributions,
    metrics=(ALERTS_OPEN,),
    series=(RAISED,),
)
