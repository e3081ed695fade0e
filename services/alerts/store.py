"""The rules' state in the service's database: loaded whole at start, written row by row.

:meth:`StateStore.load` rebuilds an :class:`~services.alerts.state.AlertState` from the tables
(the live alerts only: resolved and cleared ones are history). :meth:`StateStore.save` writes
what a step changed (:meth:`AlertState.take_changes`): upserts of the changed facts, alerts and
due checks, deletes of the due checks done or cancelled. Each table is written with one
statement over arrays (``unnest``), whatever the number of rows, in the caller's transaction.

The child rows of a changed subject (an agency's villages, an area's cases per day, a worker's
fees) are rewritten only when they differ from what the store last wrote: a registration
changes its village's count of workers, not its window of cases. The store remembers what it
wrote for as long as the state it loaded is in use; a new load starts afresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import asyncpg

from services.alerts.lifecycle import Alert
from services.alerts.state import AlertState, Changes, Row

ALERT_COLUMNS = (
    "id",
    "rule",
    "about",
    "severity",
    "level",
    "area",
    "raised_at",
    "clears_itself",
    "details",
    "status",
    "version",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "resolution",
    "cleared",
)
ALERT_TYPES = (
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "bool",
    "jsonb",
    "text",
    "int",
    "text",
    "timestamptz",
    "text",
    "timestamptz",
    "text",
    "bool",
)
CASE_COLUMNS = (
    "case_id",
    "area",
    "level",
    "category",
    "gbv_type",
    "opened_at",
    "seq",
    "unregistered_worker",
    "verified",
    "agency_id",
    "assigned",
    "unassigned_since",
    "closed",
    "due_on",
    "due_clock",
)
CASE_TYPES = (
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "int",
    "bool",
    "bool",
    "text",
    "bool",
    "timestamptz",
    "bool",
    "date",
    "text",
)
_LATCHED = "status <> 'resolved' OR NOT cleared"


class StateStore:
    def __init__(self) -> None:
        # What was last written of each subject's child rows.
        self._fees: dict[str, int] = {}  # worker -> fees stored (they only grow)
        self._named_in: dict[str, dict[str, date]] = {}  # agency -> village -> day
        self._cases_by_day: dict[str, dict[date, int]] = {}  # area -> day -> cases

    async def load(self, conn: asyncpg.Connection) -> AlertState:
        """The state as the tables hold it (inside the transaction that will use it)."""
        rows: dict[str, list[Row]] = {}
        for table in ("workers", "agencies", "cases", "areas", "due"):
            rows[table] = [dict(r) for r in await conn.fetch(f"SELECT * FROM {table}")]
        rows["worker_fees"] = [
            dict(r) for r in await conn.fetch("SELECT worker_id, fee_id FROM worker_fees")
        ]
        rows["agency_villages"] = [
            dict(r)
            for r in await conn.fetch("SELECT agency_id, village, named_on FROM agency_villages")
        ]
        rows["area_cases"] = [
            dict(r) for r in await conn.fetch("SELECT area, day, cases FROM area_cases")
        ]
        alerts = await conn.fetch(f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts WHERE {_LATCHED}")
        rows["alerts"] = [{**dict(r), "details": json.loads(r["details"])} for r in alerts]
        state = AlertState.from_rows(rows)
        self._fees = {w: len(f.fee_ids) for w, f in state.workers.items() if f.fee_ids}
        self._named_in = {a: dict(f.named_in) for a, f in state.agencies.items()}
        self._cases_by_day = {a: dict(f.cases_by_day) for a, f in state.areas.items()}
        return state

    async def save(self, conn: asyncpg.Connection, state: AlertState, changes: Changes) -> None:
        """Write the rows ``changes`` names, as ``state`` now holds them."""
        await self._save_workers(conn, state, changes.workers)
        await self._save_agencies(conn, state, changes.agencies)
        await _upsert(
            conn, "cases", CASE_COLUMNS, CASE_TYPES, [_case_row(c, state) for c in changes.cases]
        )
        await self._save_areas(conn, state, changes.areas)
        await save_alerts(conn, changes.alerts.values())
        await _save_due(conn, state, changes)

    async def _save_workers(
        self, conn: asyncpg.Connection, state: AlertState, changed: Iterable[str]
    ) -> None:
        workers = [(w, state.workers[w]) for w in changed]
        await _upsert(
            conn,
            "workers",
            (
                "worker_id",
                "village",
                "seq",
                "registered",
                "verified",
                "departed_on",
                "contract_end",
            ),
            ("text", "text", "int", "bool", "bool", "date", "date"),
            [
                (w, f.village, f.seq, f.registered, f.verified, f.departed_on, f.contract_end)
                for w, f in workers
            ],
        )
        fees = []
        for w, f in workers:
            if len(f.fee_ids) != self._fees.get(w, 0):
                fees += [(w, fee) for fee in f.fee_ids]
                self._fees[w] = len(f.fee_ids)
        await _insert_new(conn, "worker_fees", ("worker_id", "fee_id"), ("text", "text"), fees)

    async def _save_agencies(
        self, conn: asyncpg.Connection, state: AlertState, changed: Iterable[str]
    ) -> None:
        agencies = [(a, state.agencies[a]) for a in changed]
        await _upsert(
            conn,
            "agencies",
            ("agency_id", "seq", "unlicensed_since", "last_named_on", "last_named_village", "name"),
            ("text", "int", "date", "date", "text", "text"),
            [
                (a, f.seq, f.unlicensed_since, f.last_named_on, f.last_named_village, f.name)
                for a, f in agencies
            ],
        )
        moved = [(a, f.named_in) for a, f in agencies if f.named_in != self._named_in.get(a, {})]
        await _replace_children(
            conn,
            "agency_villages",
            "agency_id",
            [a for a, _ in moved],
            ("agency_id", "village", "named_on"),
            ("text", "text", "date"),
            [(a, v, d) for a, named in moved for v, d in named.items()],
        )
        self._named_in.update((a, dict(named)) for a, named in moved)

    async def _save_areas(
        self, conn: asyncpg.Connection, state: AlertState, changed: Iterable[str]
    ) -> None:
        areas = [(code, state.areas[code]) for code in changed]
        await _upsert(
            conn,
            "areas",
            ("area", "registered"),
            ("text", "int"),
            [(code, f.registered) for code, f in areas],
        )
        moved = [
            (code, f.cases_by_day)
            for code, f in areas
            if f.cases_by_day != self._cases_by_day.get(code, {})
        ]
        await _replace_children(
            conn,
            "area_cases",
            "area",
            [code for code, _ in moved],
            ("area", "day", "cases"),
            ("text", "date", "int"),
            [(code, d, n) for code, days in moved for d, n in days.items() if n > 0],
        )
        self._cases_by_day.update((code, dict(days)) for code, days in moved)


async def save_alerts(conn: asyncpg.Connection, alerts: Iterable[Alert]) -> None:
    await _upsert(conn, "alerts", ALERT_COLUMNS, ALERT_TYPES, [_alert_row(a) for a in alerts])


def _alert_row(a: Alert) -> tuple[Any, ...]:
    """An alert as a row of ``alerts`` (in ALERT_COLUMNS' order)."""
    return (
        a.id,
        a.rule.value,
        a.about,
        a.severity.value,
        a.level.value,
        a.area,
        a.raised_at,
        a.clears_itself,
        json.dumps(a.details),
        a.status.value,
        a.version,
        a.acknowledged_by,
        a.acknowledged_at,
        a.resolved_by,
        a.resolved_at,
        None if a.resolution is None else a.resolution.value,
        a.cleared,
    )


def _case_row(case_id: str, state: AlertState) -> tuple[Any, ...]:
    c = state.cases[case_id]
    return (
        case_id,
        c.area,
        c.level,
        c.category,
        c.gbv_type,
        c.opened_at,
        c.seq,
        c.unregistered_worker,
        c.verified,
        c.agency_id,
        c.assigned,
        c.unassigned_since,
        c.closed,
        c.due_on,
        c.due_clock,
    )


async def _save_due(conn: asyncpg.Connection, state: AlertState, changes: Changes) -> None:
    due = state.agenda.due
    planned = [(r.value, about, due[(r, about)]) for r, about in changes.due if (r, about) in due]
    done = [(r.value, about) for r, about in changes.due if (r, about) not in due]
    if done:
        await conn.execute(
            "DELETE FROM due WHERE (rule, about) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [r for r, _ in done],
            [a for _, a in done],
        )
    await _upsert(
        conn,
        "due",
        ("rule", "about", "due_at"),
        ("text", "text", "timestamptz"),
        planned,
        key=("rule", "about"),
    )


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _select(names: Sequence[str], types: Sequence[str]) -> str:
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=1))
    return f"SELECT * FROM unnest({arrays}) AS x({', '.join(names)})"


async def _upsert(
    conn: asyncpg.Connection,
    table: str,
    names: Sequence[str],
    types: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: Sequence[str] | None = None,
) -> None:
    if not rows:
        return
    key = key or names[:1]
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in key)
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) {_select(names, types)}"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
        *_columns(rows, len(names)),
    )


async def _insert_new(
    conn: asyncpg.Connection,
    table: str,
    names: Sequence[str],
    types: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    if rows:
        await conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) {_select(names, types)}"
            " ON CONFLICT DO NOTHING",
            *_columns(rows, len(names)),
        )


async def _replace_children(
    conn: asyncpg.Connection,
    table: str,
    parent: str,
    parents: Sequence[str],
    names: Sequence[str],
    types: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """The rows of ``parents`` become exactly ``rows`` (windows shrink as well as grow)."""
    if not parents:
        return
    await conn.execute(f"DELETE FROM {table} WHERE {parent} = ANY($1::text[])", list(parents))
    await _insert_new(conn, table, names, types, rows)
