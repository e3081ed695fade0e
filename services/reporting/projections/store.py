"""Reading transition state and writing one batch's deltas, inside the consumer's transaction.

All projection tables live in one schema (``projection`` live; a replay writes a shadow schema
and swaps it in), so every statement takes the schema name, a trusted constant. Areas are stored
as integer ids (:mod:`.area_ids`) and figure keys through the dictionary of :mod:`.keys`.

A batch's figures are written by one statement: the village-level deltas go in as arrays, and
PostgreSQL adds each to the village and every ancestor (integer divisions of the village's id),
sums them per (area, key), upserts the cube and the materialised summary leaves of the nation,
provinces and regencies, and marks those areas dirty for publication. Rows are written in key
order, so concurrent writers lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from services.reporting.db import Conn
from services.reporting.projections.area_ids import (
    DISTRICT_DIVISOR,
    NATION_ID,
    PROVINCE_DIVISOR,
    REGENCY_DIVISOR,
    REGENCY_OR_ABOVE,
    area_code,
    area_id,
)
from services.reporting.projections.delta import Key, Projection, Subject, Value
from services.reporting.projections.keys import FigureKeys
from shared.areas import areas, parent

LIVE = "projection"
SERIES_METRIC = "monthly"  # kept from the regency up (see delta.SERIES_LEVELS)


async def load_subjects(conn: Conn, ids: Iterable[str], schema: str = LIVE) -> dict[str, Subject]:
    """The current state of ``ids``, locked for this transaction (concurrent writers wait)."""
    rows = await conn.fetch(
        f"SELECT id::text AS id, kind, area, seq, state FROM {schema}.subjects"
        " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        list(ids),
    )
    return {
        r["id"]: Subject.stored(r["kind"], area_code(r["area"]), r["seq"], r["state"]) for r in rows
    }


async def save_subjects(conn: Conn, subjects: Mapping[str, Subject], schema: str = LIVE) -> None:
    if not subjects:
        return
    ids = sorted(subjects)
    await conn.execute(
        f"INSERT INTO {schema}.subjects AS t (id, kind, area, seq, state)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::int[], $5::text[])"
        " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, area = EXCLUDED.area,"
        " seq = EXCLUDED.seq, state = EXCLUDED.state",
        ids,
        [subjects[i].kind for i in ids],
        [area_id(subjects[i].area) for i in ids],
        [subjects[i].seq for i in ids],
        [subjects[i].state() for i in ids],
    )


def _figures_sql(schema: str, track_dirty: bool) -> str:
    expanded = (
        "WITH d AS ("
        " SELECT * FROM unnest($1::bigint[], $2::int[], $3::bool[], $4::bigint[], $5::numeric[])"
        " AS d(area, key, series, n, amount)"
        "), x AS ("
        " SELECT a.area, d.key, sum(d.n)::bigint AS n, sum(d.amount) AS amount"
        " FROM d CROSS JOIN LATERAL unnest(CASE WHEN d.series"
        f" THEN ARRAY[d.area / {REGENCY_DIVISOR}, d.area / {PROVINCE_DIVISOR}, {NATION_ID}]"
        f" ELSE ARRAY[d.area, d.area / {DISTRICT_DIVISOR}, d.area / {REGENCY_DIVISOR},"
        f" d.area / {PROVINCE_DIVISOR}, {NATION_ID}] END) AS a(area)"
        " GROUP BY 1, 2 HAVING sum(d.n) <> 0 OR sum(d.amount) <> 0"
        "), c AS ("
        f" INSERT INTO {schema}.cube AS t (area, key, n, amount)"
        " SELECT area, key, n, amount FROM x ORDER BY area DESC, key"
        " ON CONFLICT (area, key) DO UPDATE SET n = t.n + EXCLUDED.n,"
        " amount = t.amount + EXCLUDED.amount"
        "), l AS ("
        " SELECT x.area, p.path, sum(CASE WHEN p.amount THEN x.amount ELSE x.n END) AS v"
        f" FROM x JOIN figure_key_paths AS p ON p.key = x.key WHERE x.area < {REGENCY_OR_ABOVE}"
        " GROUP BY 1, 2 HAVING sum(CASE WHEN p.amount THEN x.amount ELSE x.n END) <> 0"
        ")"
    )
    cells = (
        f" INSERT INTO {schema}.cells AS t (area, path, v)"
        " SELECT area, path, v FROM l ORDER BY area DESC, path"
        " ON CONFLICT (area, path) DO UPDATE SET v = t.v + EXCLUDED.v"
    )
    if not track_dirty:
        return expanded + cells
    return (
        f"{expanded}, u AS ({cells})"
        f" INSERT INTO {schema}.dirty (area) SELECT DISTINCT area FROM l ORDER BY area"
        " ON CONFLICT DO NOTHING"
    )


async def apply_leaves(
    conn: Conn,
    keys: FigureKeys,
    leaves: Mapping[Key, Value],
    schema: str = LIVE,
    *,
    track_dirty: bool = True,
) -> None:
    """Add village-level deltas to the village and every ancestor, in one statement."""
    if not leaves:
        return
    ids = await keys.ids(conn, {(metric, dims) for _, metric, dims in leaves})
    area_ids: list[int] = []
    key_ids: list[int] = []
    series: list[bool] = []
    counts: list[int] = []
    amounts: list[Decimal] = []
    for (area, metric, dims), (n, amount) in leaves.items():
        area_ids.append(area_id(area))
        key_ids.append(ids[(metric, dims)])
        series.append(metric == SERIES_METRIC)
        counts.append(n)
        amounts.append(amount)
    await conn.execute("SET LOCAL work_mem = '64MB'")  # the batch's sums stay in memory
    await conn.execute(
        _figures_sql(schema, track_dirty), area_ids, key_ids, series, counts, amounts
    )


async def note_areas(conn: Conn, codes: Iterable[str], schema: str = LIVE) -> None:
    """Record area codes (and their ancestors) the shipped hierarchy does not list."""
    index = areas()
    extra: dict[str, str] = {}
    for code in codes:
        current: str | None = code
        while current is not None and current not in index and current not in extra:
            up = parent(current)
            if up is None:
                break
            extra[current] = up
            current = up
    if extra:
        keys = sorted(extra)
        await conn.execute(
            f"INSERT INTO {schema}.extra_areas (code, parent)"
            " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            keys,
            [extra[k] for k in keys],
        )


async def note_batch(conn: Conn, projection: Projection, schema: str = LIVE) -> None:
    last: datetime | None = projection.last_event_time
    await conn.execute(
        f"UPDATE {schema}.meta SET events = events + $1, skipped = skipped + $2,"
        " last_event_time = GREATEST(last_event_time, $3)",
        projection.applied,
        projection.skipped,
        last,
    )


async def figures(
    conn: Conn, schema: str = LIVE, codes: Sequence[str] | None = None
) -> dict[Key, tuple[int, Decimal]]:
    """Every non-zero figure row (of ``codes`` only, if given) as ``(area, metric, dims)``."""
    rows = await conn.fetch(
        f"SELECT c.area, k.metric, k.dims, c.n, c.amount FROM {schema}.cube AS c"
        " JOIN figure_keys AS k ON k.id = c.key"
        " WHERE (c.n <> 0 OR c.amount <> 0) AND ($1::bigint[] IS NULL OR c.area = ANY($1))",
        None if codes is None else [area_id(c) for c in codes],
    )
    return {(area_code(r["area"]), r["metric"], r["dims"]): (r["n"], r["amount"]) for r in rows}
