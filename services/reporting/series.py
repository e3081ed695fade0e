"""Monthly time series of an area, read from the cube's ``monthly`` rows."""

from __future__ import annotations

from typing import Any

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_id
from services.reporting.projections.model import MONTHLY_SERIES, NONE, SEP, SEXES
from services.reporting.projections.store import LIVE

_BY_SEX = {"registered", "departed", "returned", "cases_opened", "cases_closed"}


def _empty() -> dict[str, Any]:
    month: dict[str, Any] = {}
    for name in MONTHLY_SERIES:
        if name in _BY_SEX:
            month[name] = dict.fromkeys(SEXES, 0)
        elif name == "fees":
            month[name] = {"count": 0, "amount": {}}
        else:
            month[name] = 0
    return month


async def read_series(
    conn: Conn,
    code: str,
    from_month: str | None,
    to_month: str | None,
    schema: str = LIVE,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT k.dims, c.n, c.amount FROM {schema}.cube AS c JOIN figure_keys AS k"
        " ON k.id = c.key WHERE c.area = $1 AND k.metric = 'monthly'"
        " AND (c.n <> 0 OR c.amount <> 0) ORDER BY k.dims",
        area_id(code),
    )
    months: dict[str, dict[str, Any]] = {}
    for r in rows:
        month, name, sex = r["dims"].split(SEP)
        if (from_month and month < from_month) or (to_month and month > to_month):
            continue
        entry = months.setdefault(month, _empty())
        if name in _BY_SEX and sex != NONE:
            entry[name][sex] = entry[name].get(sex, 0) + r["n"]
        elif name == "fees":
            entry["fees"]["count"] += r["n"]
            amount = r["amount"]
            amounts = entry["fees"]["amount"]
            amounts[sex] = amounts.get(sex, 0) + (
                int(amount) if amount == amount.to_integral_value() else float(amount)
            )
        elif name == "alerts_raised":
            entry[name] += r["n"]
    return [{"month": m, **months[m]} for m in sorted(months)]
