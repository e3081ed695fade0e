"""Reading transition state and writing one batch's deltas, inside the consumer's transaction.

All projection tables live in one schema (``projection`` live; a replay writes a shadow schema
and swaps it in), so every statement takes the schema name, a trusted constant. Areas are stored
as integer ids (:mod:`.area_ids`) and figure keys through the dictionary of :mod:`.keys`.

A batch's figures are written by one statement: the village-level deltas go in as arrays, and
PostgreSQL adds each to the village and every ancestor (integer divisions of the village's id),
sums them per (area, key), upserts the cube and the materialised summary leaves of every level
but the village, and marks the published areas (nation, provinces, regencies) dirty. Rows are
written in key order, so concurrent writers lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from services.reporting.db import Conn, own_transaction
from services.reporting.projections.area_ids import (
    DISTRICT_DIVISOR,
    LEVEL_STEP,
    REGENCY_OR_ABOVE,
    area_code,
    area_id,
)
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.delta import Key, Projection, Subject, Value
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.model import SERIES_METRIC  # kept from the regency up
from shared.areas import areas, parent

LIVE = "projection"


async def load_subjects(conn: Conn, ids: Iterable[str], schema: str = LIVE) -> dict[str, Subject]:
    """The current state of ``ids``, locked for this transaction (concurrent writers wait)."""
    rows = await conn.fetch(
        f"SELECT id::text AS id, kind, area, seq, state FROM {schema}.subjects"
        " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        list(ids),
    )
    stored, kinds = Subject.stored, CATALOG.kind_named
    return {
        sid: stored(kinds[kind], area_code(area), seq, state)
        for sid, kind, area, seq, state in rows
    }


async def save_subjects(conn: Conn, subjects: Mapping[str, Subject], schema: str = LIVE) -> None:
    if not subjects:
        return
    ids = sorted(subjects)
    rows = [subjects[i] for i in ids]
    await conn.execute(
        f"INSERT INTO {schema}.subjects AS t (id, kind, area, seq, state)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::int[], $5::text[])"
        " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, area = EXCLUDED.area,"
        " seq = EXCLUDED.seq, state = EXCLUDED.state",
        ids,
        [s.kind.name for s in rows],
        [area_id(s.area) for s in rows],
        [s.seq for s in rows],
        [s.state() for s in rows],
    )


# What a figure row ``c`` adds to a summary leaf through ``figure_key_paths AS kp``: its amount
# (fees) or its count. The materialised cells and the read-time derivation both use it.
LEAF_VALUE = "CASE WHEN kp.amount THEN c.amount ELSE c.n END"

# An amount of zero (every count) is sent as NULL: cheaper to encode than a numeric.
_FROM_ARRAYS = (
    "SELECT area, key, series, n, coalesce(amount, 0) AS amount"
    " FROM unnest($1::bigint[], $2::int[], $3::bool[], $4::bigint[], $5::numeric[])"
    " AS d(area, key, series, n, amount)"
)


# What a regency sums: its districts, and the monthly series rows of its villages.
_DISTRICTS_AND_SERIES = (
    "(SELECT * FROM dis UNION ALL"
    f" SELECT area / {DISTRICT_DIVISOR}, key, n, amount FROM d WHERE series) AS s"
)


def _sums(source: str, divisor: int) -> str:
    """The rows of ``source`` summed per (ancestor ``area / divisor``, key)."""
    return (
        f"SELECT area / {divisor} AS area, key, sum(n)::bigint AS n, sum(amount) AS amount"
        f" FROM {source} GROUP BY 1, 2"
    )


def _figures_sql(schema: str, track_dirty: bool, source: str = _FROM_ARRAYS) -> str:
    # ``d`` holds one row per (village, key): the villages' rows as they are; each level above
    # sums the level below (a district id is its villages' ids / 10^4, a regency's its
    # districts' / 100 ...), the monthly series (``series``) joining at the regency.
    expanded = (
        f"WITH d AS ({source}"
        "), vil AS (SELECT area, key, n, amount FROM d WHERE NOT series"
        f"), dis AS ({_sums('vil', DISTRICT_DIVISOR)}"
        f"), reg AS ({_sums(_DISTRICTS_AND_SERIES, LEVEL_STEP)}"
        f"), pro AS ({_sums('reg', LEVEL_STEP)}"
        f"), nat AS ({_sums('pro', LEVEL_STEP)}"
        "), x AS ("
        " SELECT * FROM vil UNION ALL SELECT * FROM dis UNION ALL SELECT * FROM reg"
        " UNION ALL SELECT * FROM pro UNION ALL SELECT * FROM nat"
        "), c AS ("
        f" INSERT INTO {schema}.cube AS t (area, key, n, amount)"
        " SELECT area, key, n, amount FROM x WHERE n <> 0 OR amount <> 0 ORDER BY area DESC, key"
        " ON CONFLICT (area, key) DO UPDATE SET n = t.n + EXCLUDED.n,"
        " amount = t.amount + EXCLUDED.amount"
        # The summary leaves: the districts' from their cube rows; each level above sums the
        # leaves of the level below (the monthly series, which join at the regency, add to no
        # leaf), so the key -> leaf join runs once, on the districts' rows.
        "), ldis AS ("
        f" SELECT c.area, kp.path, sum({LEAF_VALUE}) AS v"
        " FROM dis AS c JOIN figure_key_paths AS kp ON kp.key = c.key GROUP BY 1, 2"
        f"), lreg AS (SELECT area / {LEVEL_STEP} AS area, path, sum(v) AS v FROM ldis GROUP BY 1, 2"
        f"), lpro AS (SELECT area / {LEVEL_STEP} AS area, path, sum(v) AS v FROM lreg GROUP BY 1, 2"
        f"), lnat AS (SELECT area / {LEVEL_STEP} AS area, path, sum(v) AS v FROM lpro GROUP BY 1, 2"
        "), l AS ("
        " SELECT * FROM ldis WHERE v <> 0 UNION ALL SELECT * FROM lreg WHERE v <> 0"
        " UNION ALL SELECT * FROM lpro WHERE v <> 0 UNION ALL SELECT * FROM lnat WHERE v <> 0"
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
        f" INSERT INTO {schema}.dirty (area) SELECT DISTINCT area FROM l"
        f" WHERE area < {REGENCY_OR_ABOVE} ORDER BY area ON CONFLICT DO NOTHING"
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
    area_ids = [area_id(area) for area, _, _ in leaves]
    key_ids = [ids[metric, dims] for _, metric, dims in leaves]
    series = [metric == SERIES_METRIC for _, metric, _ in leaves]
    values = leaves.values()
    counts = [n for n, _ in values]
    amounts = [amount or None for _, amount in values]
    await conn.execute("SET LOCAL work_mem = '64MB'")  # the batch's sums stay in memory
    await conn.execute(
        _figures_sql(schema, track_dirty), area_ids, key_ids, series, counts, amounts
    )


STAGED_COLUMNS = "area bigint, key integer, series boolean, n bigint, amount numeric"


async def stage_leaves(
    conn: Conn, keys: FigureKeys, leaves: Mapping[Key, Value], schema: str, table: str
) -> None:
    """COPY village-level deltas into ``schema.table`` (``STAGED_COLUMNS``, no index), for
    :func:`apply_staged`; several writers may stage into one table at once."""
    ids = await keys.ids(conn, {(metric, dims) for _, metric, dims in leaves})
    await conn.copy_records_to_table(
        table,
        schema_name=schema,
        records=[
            (area_id(area), ids[(metric, dims)], metric == SERIES_METRIC, n, amount)
            for (area, metric, dims), (n, amount) in leaves.items()
            if n or amount  # a fold nets many rows to zero
        ],
    )


async def apply_staged(conn: Conn, schema: str, table: str) -> None:
    """:func:`apply_leaves` for deltas staged in ``schema.table``, summed per (village, key)."""
    await conn.execute("SET LOCAL work_mem = '256MB'")
    staged = (
        "SELECT area, key, series, sum(n)::bigint AS n, sum(amount) AS amount"
        f" FROM {schema}.{table} GROUP BY 1, 2, 3"
    )
    await conn.execute(_figures_sql(schema, False, staged))


async def copy_subjects(conn: Conn, subjects: Mapping[str, Subject], schema: str) -> None:
    """Write subjects that are known to be new (a replay's shadow) with COPY."""
    await conn.copy_records_to_table(
        "subjects",
        schema_name=schema,
        columns=["id", "kind", "area", "seq", "state"],
        records=[
            (sid, s.kind.name, area_id(s.area), s.seq, s.state()) for sid, s in subjects.items()
        ],
    )


class ExtraAreas:
    """The area codes met in events that the shipped hierarchy does not list, with their parents.

    New ones (ancestors too) are recorded and committed in a transaction of their own, like new
    figure keys (:mod:`.keys`); one that a rolled back batch met stays listed, with no figures,
    until the batch is applied again. Nothing is cached: a replay swaps the table, so each batch
    looks up its few codes in the table it writes to.
    """

    def __init__(self, dsn: str, schema: str = LIVE) -> None:
        self._dsn = dsn
        self._schema = schema

    async def note(self, conn: Conn, codes: Iterable[str]) -> None:
        known = areas().names
        extra: dict[str, str] = {}
        for code in codes:
            current: str | None = code
            while current and current not in known and current not in extra:
                up = parent(current)
                if up is None:
                    break
                extra[current] = up
                current = up
        if not extra:
            return
        listed = await conn.fetch(
            f"SELECT code FROM {self._schema}.extra_areas WHERE code = ANY($1::text[])",
            list(extra),
        )
        for row in listed:
            del extra[row["code"]]
        if extra:
            keys = sorted(extra)
            async with own_transaction(self._dsn) as own:
                await own.execute(
                    f"INSERT INTO {self._schema}.extra_areas (code, parent)"
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
