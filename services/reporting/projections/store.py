"""Reading transition state and writing one batch's deltas, inside the consumer's transaction.

All projection tables live in one schema (``projection`` live; a replay writes a shadow schema
and swaps it in), so every statement takes the schema name, a trusted constant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from services.reporting.db import Conn
from services.reporting.projections.delta import Key, Projection, Subject, Value
from shared.areas import areas, parent

LIVE = "projection"


async def load_subjects(conn: Conn, ids: Iterable[str], schema: str = LIVE) -> dict[str, Subject]:
    """The current state of ``ids``, locked for this transaction (concurrent writers wait)."""
    rows = await conn.fetch(
        f"SELECT id, kind, area, seq, attrs::text AS attrs FROM {schema}.subjects"
        " WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        list(ids),
    )
    return {r["id"]: Subject(r["kind"], r["area"], r["seq"], json.loads(r["attrs"])) for r in rows}


async def save_subjects(conn: Conn, subjects: Mapping[str, Subject], schema: str = LIVE) -> None:
    if not subjects:
        return
    ids = sorted(subjects)
    await conn.execute(
        f"INSERT INTO {schema}.subjects (id, kind, area, seq, attrs)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[])"
        " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, area = EXCLUDED.area,"
        " seq = EXCLUDED.seq, attrs = EXCLUDED.attrs",
        ids,
        [subjects[i].kind for i in ids],
        [subjects[i].area for i in ids],
        [subjects[i].seq for i in ids],
        [json.dumps(subjects[i].attrs) for i in ids],
    )


def _upsert_sql(schema: str) -> str:
    # One statement for the cube and the materialised leaves; keys are unique and sorted, so
    # concurrent writers lock rows in the same order and cannot deadlock on them.
    return (
        f"WITH c AS (INSERT INTO {schema}.cube AS t (area, metric, dims, n, amount)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::numeric[])"
        " ON CONFLICT (area, metric, dims) DO UPDATE"
        " SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount RETURNING 1)"
        f" INSERT INTO {schema}.cells AS t (area, path, v)"
        " SELECT * FROM unnest($6::text[], $7::text[], $8::numeric[])"
        " ON CONFLICT (area, path) DO UPDATE SET v = t.v + EXCLUDED.v"
    )


async def apply_figures(
    conn: Conn,
    cube: Mapping[Key, Value],
    cells: Mapping[tuple[str, str], Decimal],
    schema: str = LIVE,
) -> None:
    """Add the deltas (already expanded to every ancestor) in one statement."""
    if not cube and not cells:
        return
    ck = sorted(cube)
    lk = sorted(cells)
    await conn.execute(
        _upsert_sql(schema),
        [k[0] for k in ck],
        [k[1] for k in ck],
        [k[2] for k in ck],
        [cube[k][0] for k in ck],
        [cube[k][1] for k in ck],
        [k[0] for k in lk],
        [k[1] for k in lk],
        [cells[k] for k in lk],
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


async def mark_dirty(conn: Conn, codes: Sequence[str], schema: str = LIVE) -> None:
    if codes:
        await conn.execute(
            f"INSERT INTO {schema}.dirty (area) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            sorted(codes),
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
