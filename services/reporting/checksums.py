"""Checksums of an area's figures over its whole subtree, for comparing two nodes.

An area's checksum covers every non-zero cube row of the area and of every area below it, down
to the villages: two nodes agree on an area only if they agree on every figure anywhere in its
subtree, so comparing them at the top finds a difference in any village (``pantau compare``).

Each row is hashed on its own, from the area id, the figure key *in words* (metric and
dimensions: the dictionary's integer ids differ between nodes), the count and the amount
(PostgreSQL's numeric hash ignores trailing zeros, so ``5.0`` and ``5.00`` agree), and the
row hashes are combined with XOR. XOR is order-free and splits along the hierarchy, so one
scan of the subtree gives the area's checksum and each child's: rows are grouped by the child
they fall under (an integer division of the area id, :mod:`projections.area_ids`). The
checksum is that 64-bit combination followed by the number of rows, in hex (32 digits).
"""

from __future__ import annotations

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_code, area_id
from services.reporting.projections.store import LIVE
from services.reporting.summary import UnknownArea, children_of, held_by, known, watermark

EMPTY = "empty"  # the checksum of an area with no figures below it
# Digits of an area id per level: nation 1, province 3, regency 5, district 7, village 11.
ID_DIGITS = (1, 3, 5, 7, 11)
_MASK = (1 << 64) - 1


def _digits(ident: int) -> int:
    return len(str(ident))


def subtree_query(code: str, schema: str) -> tuple[str, list[int]]:
    """SQL and arguments: per child under ``code`` (and ``code`` itself), XOR of row hashes and
    row count over the subtree; one range scan of the cube's key per level below."""
    ident = area_id(code)
    own = _digits(ident)
    deeper = [d for d in ID_DIGITS if d > own]
    args: list[int] = [ident]
    ranges, cases = [], []
    child = deeper[0] if deeper else own
    for d in deeper:
        scale = 10 ** (d - own)
        args += [ident * scale, (ident + 1) * scale - 1, 10 ** (d - child)]
        low, high, divisor = len(args) - 2, len(args) - 1, len(args)
        ranges.append(f"c.area BETWEEN ${low} AND ${high}")
        cases.append(f"WHEN c.area BETWEEN ${low} AND ${high} THEN c.area / ${divisor}")
    under = " OR ".join(["c.area = $1", *ranges])
    grouping = f"CASE {' '.join(cases)} ELSE c.area END" if cases else "c.area"
    sql = (
        "WITH k AS (SELECT id, hashtextextended(metric || '|' || dims, 0) AS h"
        " FROM figure_keys)"
        f" SELECT {grouping} AS child, bit_xor(hash_numeric_extended(c.amount,"
        " hashint8extended(c.n, hashint8extended(c.area, k.h)))) AS x, count(*) AS rows"
        f" FROM {schema}.cube AS c JOIN k ON k.id = c.key"
        f" WHERE ({under}) AND (c.n <> 0 OR c.amount <> 0) GROUP BY 1"
    )
    return sql, args


def _render(x: int, rows: int) -> str:
    return EMPTY if rows == 0 else f"{x & _MASK:016x}{rows:016x}"


async def subtree_checksums(conn: Conn, code: str, schema: str = LIVE) -> dict[str, str]:
    """The checksum of ``code``'s subtree (key ``code``) and of each child's that has figures."""
    sql, args = subtree_query(code, schema)
    whole_x, whole_rows = 0, 0
    out: dict[str, str] = {}
    async with conn.transaction():  # a savepoint inside the API's snapshot
        # A handful of groups over millions of rows: hashing them is far cheaper than the
        # sort (spilled to disk at national scale) the planner would otherwise choose.
        await conn.execute("SET LOCAL enable_sort = off")
        found = await conn.fetch(sql, *args)
    for child, x, rows in found:
        whole_x ^= x
        whole_rows += rows
        if child != args[0]:  # the area's own rows count for it alone
            out[area_code(child)] = _render(x, rows)
    out[code] = _render(whole_x, whole_rows)
    return out


async def read_checksums(
    conn: Conn, code: str, *, scope: str, consumer: str, schema: str = LIVE
) -> dict:
    """The checksums of ``code`` and of each child, each over its whole subtree."""
    if not held_by(code, scope) or not await known(conn, code, schema):
        raise UnknownArea(code)
    sums = await subtree_checksums(conn, code, schema)
    listed = await children_of(conn, code, scope, schema)
    kids = sorted({*listed, *(c for c in sums if c != code and held_by(c, scope))})
    return {
        "area": code,
        "checksum": sums[code],
        "children": [{"area": c, "checksum": sums.get(c, EMPTY)} for c in kids],
        "watermark": await watermark(conn, consumer, scope, schema),
    }
