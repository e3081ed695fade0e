"""Monthly time series of an area, read from the cube's ``monthly`` rows.

Each series is declared by its kind of subject (``Catalog.series``) and keyed by the month of
the business date its events carry (``registered_on``, ``departed_on``, ``returned_on``,
``charged_on``, a case's ``opened_on`` and ``closed_on``; alerts by their ``time``), so records
entered late count in the month they happened.
"""

from __future__ import annotations

from typing import Any

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_id
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.model import SEP, SERIES_METRIC
from services.reporting.projections.store import LIVE


def _empty() -> dict[str, Any]:
    return {name: series.zero() for name, series in CATALOG.series.items()}


async def read_series(
    conn: Conn,
    code: str,
    from_month: str | None,
    to_month: str | None,
    schema: str = LIVE,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT k.dims, c.n, c.amount FROM {schema}.cube AS c JOIN figure_keys AS k"
        " ON k.id = c.key WHERE c.area = $1 AND k.metric = $2"
        " AND (c.n <> 0 OR c.amount <> 0) ORDER BY k.dims",
        area_id(code),
        SERIES_METRIC,
    )
    months: dict[str, dict[str, Any]] = {}
    for r in rows:
        month, name, part = r["dims"].split(SEP)
        if (from_month and month < from_month) or (to_month and month > to_month):
            continue
        series = CATALOG.series.get(name)
        if series is None:
            continue  # a series no longer declared
        entry = months.setdefault(month, _empty())
        entry[name] = series.added(entry[name], part, r["n"], r["amount"])
    return [{"month": m, **months[m]} for m in sorted(months)]
