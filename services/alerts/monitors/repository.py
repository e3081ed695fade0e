"""Reading alerts from the ``alerts`` table: pages, one alert, counts, the stream's position."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast

import asyncpg

from services.alerts.monitors.models import about_name, area_name
from services.alerts.store import ALERT_COLUMNS
from shared.areas import NATION
from shared.contract.codes import AlertRule, AlertStatus

# The name of the agency an alert is about, if the service knows it (public data).
_AGENCY_NAME = "(SELECT g.name FROM agencies g WHERE g.agency_id = alerts.about) AS agency_name"
_COLUMNS = ", ".join((*ALERT_COLUMNS, "comment", _AGENCY_NAME))
MONITOR_ONLY = ("acknowledged_by", "resolved_by", "comment")


def within_sql(column: str, within: str, first_param: int) -> tuple[str, list[str]]:
    """SQL and parameters selecting rows whose ``column`` (an area code, C collation) is
    ``within`` or under it: everything under X lies in the byte range [X + ".", X + "/")."""
    if within == NATION:
        return "TRUE", []
    a, b, c = (f"${first_param + i}" for i in range(3))
    return (
        f"({column} = {a} OR ({column} >= {b} AND {column} < {c}))",
        [within, within + ".", within + "/"],
    )


def as_alert_out(row: asyncpg.Record, *, monitor: bool) -> dict[str, Any]:
    """A row as :class:`~services.alerts.monitors.models.AlertOut`'s fields."""
    out = {name: row[name] for name in ALERT_COLUMNS if name not in ("clears_itself", "cleared")}
    out["details"] = json.loads(row["details"])
    out["area_name"] = area_name(row["area"])
    out["about_name"] = about_name(row["about"], row["agency_name"])
    for name in MONITOR_ONLY:
        out[name] = row[name] if monitor else None
    return out


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One transaction on one snapshot: a page, its counts and its stream position agree."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        yield cast(asyncpg.Connection, conn)


async def position(conn: asyncpg.Connection) -> int:
    """The last alert change committed (in the caller's snapshot)."""
    value: int = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alert_log")
    return value


async def page(
    conn: asyncpg.Connection,
    *,
    within: str,
    statuses: Sequence[AlertStatus],
    rules: Sequence[AlertRule],
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Alerts whose area is ``within`` or under it, newest first."""
    where, params = within_sql("area", within, 5)
    return list(
        await conn.fetch(
            f"SELECT {_COLUMNS} FROM alerts"
            " WHERE (cardinality($1::text[]) = 0 OR status = ANY($1::text[]))"
            " AND (cardinality($2::text[]) = 0 OR rule = ANY($2::text[]))"
            f" AND {where} ORDER BY raised_at DESC, id DESC LIMIT $3 OFFSET $4",
            [s.value for s in statuses],
            [r.value for r in rules],
            limit,
            offset,
            *params,
        )
    )


async def one(conn: asyncpg.Connection, alert_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM alerts WHERE id = $1", alert_id
    )
    return row


async def set_comment(conn: asyncpg.Connection, alert_id: uuid.UUID, comment: str | None) -> None:
    await conn.execute("UPDATE alerts SET comment = $2 WHERE id = $1", alert_id, comment)


async def unresolved_counts(conn: asyncpg.Connection, within: str) -> list[asyncpg.Record]:
    """(status, severity, rule, n) of the open and acknowledged alerts within ``within``."""
    where, params = within_sql("area", within, 1)
    return list(
        await conn.fetch(
            "SELECT status, severity, rule, count(*) AS n FROM alerts"
            f" WHERE status <> 'resolved' AND {where} GROUP BY status, severity, rule",
            *params,
        )
    )


async def raised_per_day(
    conn: asyncpg.Connection, within: str, first_day: date
) -> list[asyncpg.Record]:
    """(day, severity, n) of the alerts raised within ``within`` since ``first_day`` (UTC)."""
    where, params = within_sql("area", within, 2)
    return list(
        await conn.fetch(
            "SELECT (raised_at AT TIME ZONE 'UTC')::date AS day, severity, count(*) AS n"
            " FROM alerts WHERE raised_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'"
            f" AND {where} GROUP BY 1, 2",
            first_day,
            *params,
        )
    )
