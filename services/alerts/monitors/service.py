"""The monitors' use cases: read the alerts of a jurisdiction, acknowledge one, resolve one.

Reads come from the ``alerts`` table, in one snapshot with the live stream's position. The two
steps go through the rules engine (:meth:`~services.alerts.keeper.EngineKeeper.step`), which
publishes ``alert-acknowledged`` / ``alert-resolved`` in the same transaction as the alert's
new state, the audit row and the Idempotency-Key. A refused step writes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import asyncpg

from services.alerts.engine import RulesEngine
from services.alerts.keeper import EngineKeeper
from services.alerts.lifecycle import AlertEvent
from services.alerts.monitors import repository
from services.alerts.monitors.access import is_monitor
from services.alerts.monitors.models import (
    AlertOut,
    AlertPage,
    AlertSummary,
    Counts,
    DayCounts,
    ResolutionIn,
    area_name,
)
from shared.auth import Principal, require_area, within_jurisdiction
from shared.contract.codes import AlertRule, AlertStatus, Severity
from shared.fields import next_offset
from shared.service import audit
from shared.service.context import current_correlation_id
from shared.service.errors import Conflict, NotFound

RESOLVED = AlertStatus.RESOLVED


async def list_alerts(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    area: str | None,
    statuses: Sequence[AlertStatus],
    rules: Sequence[AlertRule],
    limit: int,
    offset: int,
) -> AlertPage:
    within = within_jurisdiction(principal, area)
    async with repository.snapshot(pool) as conn:
        at = await repository.position(conn)
        rows = await repository.page(
            conn, within=within, statuses=statuses, rules=rules, limit=limit + 1, offset=offset
        )
        await audit.record(conn, principal, "alert.list", area=within)
    monitor = is_monitor(principal)
    items = [AlertOut(**repository.as_alert_out(r, monitor=monitor)) for r in rows[:limit]]
    return AlertPage(
        items=items,
        limit=limit,
        offset=offset,
        next_offset=next_offset(rows, limit, offset),
        position=at,
    )


async def summary(
    pool: asyncpg.Pool, principal: Principal, *, area: str | None, days: int, today: date
) -> AlertSummary:
    within = within_jurisdiction(principal, area)
    first = today - timedelta(days=days - 1)
    async with repository.snapshot(pool) as conn:
        at = await repository.position(conn)
        unresolved = await repository.unresolved_counts(conn, within)
        raised = await repository.raised_per_day(conn, within, first)
        await audit.record(conn, principal, "alert.summary", area=within)
    by_status: Counter[str] = Counter({s.value: 0 for s in AlertStatus if s is not RESOLVED})
    by_severity: Counter[str] = Counter({s.value: 0 for s in Severity})
    by_rule: Counter[str] = Counter({r.value: 0 for r in AlertRule})
    for row in unresolved:
        by_status[row["status"]] += row["n"]
        by_severity[row["severity"]] += row["n"]
        by_rule[row["rule"]] += row["n"]
    per_day = {first + timedelta(days=i): {s.value: 0 for s in Severity} for i in range(days)}
    for row in raised:
        if row["day"] in per_day:
            per_day[row["day"]][row["severity"]] = row["n"]
    return AlertSummary(
        area=within,
        area_name=area_name(within),
        unresolved=Counts(
            total=sum(by_status.values()),
            by_status=dict(by_status),
            by_severity=dict(by_severity),
            by_rule=dict(by_rule),
        ),
        raised_per_day=[DayCounts(day=d, by_severity=n) for d, n in per_day.items()],
        position=at,
    )


async def acknowledge(
    conn: asyncpg.Connection, keeper: EngineKeeper, principal: Principal, alert_id: uuid.UUID
) -> AlertOut:
    """A monitor has seen the alert (again: nothing changes, the same answer)."""
    await _actionable(conn, principal, alert_id)
    await _step(conn, keeper, alert_id, lambda e: e.acknowledge(alert_id, by=principal.sub))
    await audit.record(conn, principal, "alert.acknowledge", alert_id=alert_id)
    return await _read_back(conn, alert_id)


async def resolve(
    conn: asyncpg.Connection,
    keeper: EngineKeeper,
    principal: Principal,
    alert_id: uuid.UUID,
    body: ResolutionIn,
) -> AlertOut:
    """A monitor resolves the alert with a note code (and an optional comment, kept here)."""
    await _actionable(conn, principal, alert_id)
    await _step(
        conn, keeper, alert_id, lambda e: e.resolve(alert_id, by=principal.sub, note=body.note)
    )
    await repository.set_comment(conn, alert_id, body.comment)
    await audit.record(conn, principal, "alert.resolve", alert_id=alert_id)
    return await _read_back(conn, alert_id)


async def _actionable(conn: asyncpg.Connection, principal: Principal, alert_id: uuid.UUID) -> None:
    """404 for no such alert, 403 outside the caller's area, 409 once resolved."""
    row = await repository.one(conn, alert_id)
    if row is None:
        raise NotFound("no such alert")
    require_area(principal, row["area"])
    if row["status"] == RESOLVED:
        raise Conflict("the alert is already resolved")


async def _step(
    conn: asyncpg.Connection,
    keeper: EngineKeeper,
    alert_id: uuid.UUID,
    action: Callable[[RulesEngine], list[AlertEvent]],
) -> None:
    """Run a monitor's ``action`` unless the alert was resolved since it was read (409)."""
    resolved_meanwhile = False

    def work(engine: RulesEngine) -> list[AlertEvent]:
        nonlocal resolved_meanwhile
        alert = engine.state.alerts.by_id.get(alert_id)
        if alert is None or alert.status is RESOLVED:
            resolved_meanwhile = True
            return []
        return action(engine)

    await keeper.step(conn, work, current_correlation_id())
    if resolved_meanwhile:
        raise Conflict("the alert is already resolved")


async def _read_back(conn: asyncpg.Connection, alert_id: uuid.UUID) -> AlertOut:
    row = await repository.one(conn, alert_id)
    assert row is not None
    return AlertOut(**repository.as_alert_out(row, monitor=True))
