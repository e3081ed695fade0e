"""Reading the views: an area's summary with its children, and the watermark.

Every read runs in one REPEATABLE READ read-only transaction, so an area and its children come
from the same snapshot and each numeric leaf of the area equals the sum over its children.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_id
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.model import CELL_LEVELS, is_pseudo
from services.reporting.projections.store import LEAF_VALUE, LIVE
from shared.areas import NATION, area_level, areas, is_within, parent

V = TypeVar("V")  # a leaf's value: a Decimal, or its JSON text
# The leaves to answer as null, per area of an answer (see services/reporting/disclosure.py).
WithheldOf = Callable[[Conn, list[str]], Awaitable[dict[str, set[str]]]]


class UnknownArea(LookupError):
    """The code is neither a real area nor one this node has figures for."""


def area_name(code: str) -> str:
    index = areas()
    if code in index:
        return index.name(code)
    if is_pseudo(code):
        up = parent(code) or NATION
        while is_pseudo(up):
            up = parent(up) or NATION
        return f"(not attributed below {index.names.get(up, up)})"
    return code


def held_by(code: str, scope: str) -> bool:
    """A node holds its scope's subtree and answers for the scope's ancestors too."""
    return is_within(code, scope) or is_within(scope, code)


async def children_of(conn: Conn, code: str, scope: str, schema: str) -> list[str]:
    if area_level(code) == "village":
        return []
    real = list(areas().children(code))
    extra = [
        r["code"]
        for r in await conn.fetch(f"SELECT code FROM {schema}.extra_areas WHERE parent = $1", code)
    ]
    return sorted(c for c in {*real, *extra} if held_by(c, scope))


async def known(conn: Conn, code: str, schema: str) -> bool:
    if code in areas():
        return True
    return bool(await conn.fetchval(f"SELECT 1 FROM {schema}.extra_areas WHERE code = $1", code))


_CELLS = (
    "SELECT c.area, p.path, c.v FROM {schema}.cells AS c JOIN figure_paths AS p ON p.id = c.path"
    " WHERE c.area = ANY($1::bigint[]) AND c.v <> 0"
)
# A village's leaves are derived from the cube, through the same key -> leaf mapping
# that fills the materialised cells (figure_key_paths), so both agree.
# (Summed per integer path id first: grouping by the text path cost a third more.)
_DERIVED = (
    "SELECT d.area, p.path, d.v FROM ("
    f" SELECT c.area, kp.path, sum({LEAF_VALUE}) AS v"
    " FROM {schema}.cube AS c JOIN figure_key_paths AS kp ON kp.key = c.key"
    " WHERE c.area = ANY($2::bigint[]) GROUP BY 1, 2) AS d"
    " JOIN figure_paths AS p ON p.id = d.path"
)
# Each metric with a due date (Catalog.due_leaves): its rows dated before today, per area.
_PAST_DUE = tuple(
    f"SELECT c.area, '{leaf}' AS path, sum(c.n) AS v FROM {{schema}}.cube AS c"
    " JOIN figure_keys AS k ON k.id = c.key"
    f" WHERE c.area = ANY($3::bigint[]) AND k.metric = '{metric}' AND k.dims < $4 GROUP BY 1"
    for metric, leaf in CATALOG.due_leaves.items()
)


def _leaves_query(
    codes: list[str], schema: str, today: date
) -> tuple[str, dict[int, str], tuple[object, ...]]:
    ids = {area_id(c): c for c in codes}
    cell_ids = [i for i, c in ids.items() if area_level(c) in CELL_LEVELS]
    cube_ids = [i for i, c in ids.items() if area_level(c) not in CELL_LEVELS]
    sql = " UNION ALL ".join((_CELLS, _DERIVED, *_PAST_DUE)).format(schema=schema)
    due = (list(ids), today.isoformat()) if _PAST_DUE else ()
    return sql, ids, (cell_ids, cube_ids, *due)


async def leaves(
    conn: Conn, codes: list[str], schema: str, today: date
) -> dict[str, dict[str, Decimal]]:
    """Summary leaves of each area: materialised cells or derived from the cube."""
    out: dict[str, dict[str, Decimal]] = {c: defaultdict(Decimal) for c in codes}
    sql, ids, args = _leaves_query(codes, schema, today)
    for r in await conn.fetch(sql, *args):
        v = r["v"]
        if v:
            out[ids[r["area"]]][r["path"]] += v
    return out


async def leaves_as_json_numbers(
    conn: Conn, codes: list[str], schema: str, today: date
) -> dict[str, dict[str, str]]:
    """The non-zero leaves of :func:`leaves` as JSON number texts, formatted by PostgreSQL
    (decoding thousands of numerics into Decimals cost a fifth of a national summary)."""
    out: dict[str, dict[str, str]] = {c: {} for c in codes}
    sql, ids, args = _leaves_query(codes, schema, today)
    text = f"SELECT area, path, trim_scale(v)::text AS v FROM ({sql}) AS u WHERE v <> 0"
    # Each leaf has one source: cells (levels above the village), the derivation (villages),
    # or a past-due sum (a path no figure key adds to).
    for area, path, v in await conn.fetch(text, *args):
        out[ids[area]][path] = v
    return out


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def nest(values: dict[str, Decimal], paths: Iterable[str], objects: Iterable[str]) -> dict:
    """Turn leaf paths into nested objects; every path in ``paths`` appears (0 when absent)."""
    return Nester(list(paths), objects).nest(values)


class Nester:
    """Builds many nested totals of one shape: a zero skeleton is copied, non-zeros filled in."""

    def __init__(self, paths: list[str], objects: Iterable[str]) -> None:
        root: dict[str, Any] = {}
        for obj in objects:
            node = root
            for part in _split(obj):
                node = node.setdefault(part, {})
        for path in paths:
            node = root
            parts = _split(path)
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = 0
        self.skeleton = root

    def nest(self, values: dict[str, Decimal]) -> dict[str, Any]:
        tree = _clone(self.skeleton)
        for path, value in values.items():
            if not value:
                continue
            node = tree
            parts = _split(path)
            for part in parts[:-1]:
                node = node[part]
            node[parts[-1]] = _number(value)
        return tree


def _clone(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: _clone(v) if type(v) is dict else v for k, v in tree.items()}


_SPLITS: dict[str, tuple[str, ...]] = {}


def _split(path: str) -> tuple[str, ...]:
    parts = _SPLITS.get(path)
    if parts is None:
        parts = _SPLITS[path] = tuple(path.split("/"))
    return parts


def shape(all_leaves: Iterable[Mapping[str, object]]) -> list[str]:
    """The union of template paths and every path seen: one shape for an area and its children."""
    seen = dict.fromkeys(CATALOG.template_paths)
    for values in all_leaves:
        for path, v in values.items():
            if v != 0:
                seen.setdefault(path)
    return list(seen)


async def watermark(conn: Conn, consumer: str, scope: str, schema: str) -> dict:
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_positions WHERE consumer = $1"
        " ORDER BY topic, partition",
        consumer,
    )
    positions: dict[str, dict[str, int]] = {}
    for r in rows:
        positions.setdefault(r["topic"], {})[str(r["partition"])] = r["next_offset"]
    meta = await conn.fetchrow(f"SELECT last_event_time, events, skipped FROM {schema}.meta")
    last = meta["last_event_time"] if meta else None
    return {
        "scope": scope,
        "positions": positions,
        "last_event_time": last.isoformat().replace("+00:00", "Z") if last else None,
        "events_applied": meta["events"] if meta else 0,
        "events_skipped": meta["skipped"] if meta else 0,
    }


async def read_summary(
    conn: Conn,
    code: str,
    *,
    scope: str,
    consumer: str,
    schema: str = LIVE,
    today: date | None = None,
    withheld: WithheldOf | None = None,
) -> dict:
    """The contract's summary of ``code``; run inside one snapshot (see :func:`snapshot`).
    ``withheld`` names the leaves to answer as ``null`` (small cells, for some callers)."""
    kids, values, mark = await _gather(conn, code, scope, consumer, schema, today, leaves)
    nester = Nester(shape(values.values()), CATALOG.dynamic_objects)
    hidden = await withheld(conn, [code, *kids]) if withheld is not None else {}

    def totals(c: str) -> dict:
        tree = nester.nest(values[c])
        for path in hidden.get(c, ()):
            node = tree
            *heads, last = _split(path)
            for part in heads:
                node = node.setdefault(part, {})
            node[last] = None
        return tree

    return {
        "area": code,
        "name": area_name(code),
        "level": area_level(code),
        "totals": totals(code),
        "children": [
            {"area": c, "name": area_name(c), "level": area_level(c), "totals": totals(c)}
            for c in kids
        ],
        "watermark": mark,
    }


async def read_summary_json(
    conn: Conn,
    code: str,
    *,
    scope: str,
    consumer: str,
    schema: str = LIVE,
    today: date | None = None,
    withheld: WithheldOf | None = None,
) -> str:
    """:func:`read_summary` rendered straight to JSON text (the HTTP hot path)."""
    kids, values, mark = await _gather(
        conn, code, scope, consumer, schema, today, leaves_as_json_numbers
    )
    if withheld is not None:
        for c, paths in (await withheld(conn, [code, *kids])).items():
            values[c].update(dict.fromkeys(paths, "null"))
    render = JsonTotals(shape(values.values()), CATALOG.dynamic_objects)

    def node(c: str) -> str:
        head = json.dumps({"area": c, "name": area_name(c), "level": area_level(c)})
        return f'{head[:-1]},"totals":{render(values[c])}}}'

    children = ",".join(node(c) for c in kids)
    return f'{node(code)[:-1]},"children":[{children}],"watermark":{json.dumps(mark)}}}'


class JsonTotals:
    """Renders totals of one shape as JSON by filling a precompiled template."""

    def __init__(self, paths: list[str], objects: Iterable[str]) -> None:
        skeleton = Nester(paths, objects).skeleton
        self.order: list[str] = []
        pieces: list[str] = []

        def walk(tree: dict[str, Any], prefix: str) -> None:
            pieces.append("{")
            for i, (key, value) in enumerate(tree.items()):
                if i:
                    pieces.append(",")
                pieces.append(json.dumps(key).replace("{", "{{").replace("}", "}}") + ":")
                path = f"{prefix}/{key}" if prefix else key
                if type(value) is dict:
                    walk(value, path)
                else:
                    self.order.append(path)
                    pieces.append("{}")
            pieces.append("}")

        walk(skeleton, "")
        # Braces of the JSON itself are doubled; "{}" marks a leaf.
        self.template = "".join(
            p if p in ("{}",) else p.replace("{", "{{").replace("}", "}}") if p in ("{", "}") else p
            for p in pieces
        )

    def __call__(self, values: dict[str, str]) -> str:
        """``values``: JSON number texts of the non-zero leaves."""
        get = values.get
        return self.template.format(*[get(p, "0") for p in self.order])


async def _gather(
    conn: Conn,
    code: str,
    scope: str,
    consumer: str,
    schema: str,
    today: date | None,
    read_leaves: Callable[[Conn, list[str], str, date], Awaitable[dict[str, V]]],
) -> tuple[list[str], dict[str, V], dict]:
    """The area's children, the leaves of it and them (as ``read_leaves`` gives them), and the
    watermark; :class:`UnknownArea` if this node neither holds nor knows the code."""
    if not held_by(code, scope) or not await known(conn, code, schema):
        raise UnknownArea(code)
    kids = await children_of(conn, code, scope, schema)
    values = await read_leaves(conn, [code, *kids], schema, today or date.today())
    return kids, values, await watermark(conn, consumer, scope, schema)
