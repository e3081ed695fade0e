"""The dictionary of figure keys: ``(metric, dims)`` <-> a small integer id.

Figure rows store the id, not the text; ``figure_key_paths`` records which summary leaves each
key adds to (:meth:`.catalog.Catalog.leaf_paths`), so that PostgreSQL can fill the materialised
leaves and derive the others itself. The tables are append-only and shared by the live views
and a replay's shadow, so an id never changes meaning.

A writer caches the ids it has resolved. A key met for the first time is registered and
committed in a short transaction of its own (:func:`services.reporting.db.own_transaction`)
before the figure rows that use it are written, so that concurrent writers never wait on each
other's whole batch for a new key. A key registered by a batch that then rolls back stays,
unused; the dictionary is append-only, so every cached id stays right.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.reporting.db import Conn, own_transaction
from services.reporting.projections.catalog import CATALOG

FigureKey = tuple[str, str]  # (metric, dims)

_INSERT_KEYS = (
    "INSERT INTO figure_keys (metric, dims)"
    " SELECT * FROM unnest($1::text[], $2::text[]) ORDER BY 1, 2"
    " ON CONFLICT DO NOTHING RETURNING id, metric, dims"
)
_SELECT_KEYS = (
    "SELECT k.id, k.metric, k.dims FROM figure_keys AS k"
    " JOIN unnest($1::text[], $2::text[]) AS w(metric, dims) USING (metric, dims)"
)
_INSERT_PATHS = (
    "INSERT INTO figure_paths (path) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING"
)
_KEY_PATHS = (
    "INSERT INTO figure_key_paths (key, path, amount)"
    " SELECT w.key, p.id, w.amount FROM unnest($1::int[], $2::text[], $3::bool[])"
    " AS w(key, path, amount) JOIN figure_paths AS p USING (path)"
)


class FigureKeys:
    """The ids of figure keys in one database (``dsn``), cached once resolved."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._known: dict[FigureKey, int] = {}

    async def ids(self, conn: Conn, keys: Iterable[FigureKey]) -> dict[FigureKey, int]:
        """The id of every key; those never seen are registered and committed first.

        ``conn``'s transaction must read committed rows (PostgreSQL's default isolation), so
        that its next statements see the new keys and their leaf paths; new keys are read back
        through ``conn``, so a snapshot that cannot see them fails here, not silently later.
        """
        known = self._known
        out: dict[FigureKey, int] = {}
        missing: list[FigureKey] = []
        for key in keys:
            ident = known.get(key)
            if ident is None:
                missing.append(key)
            else:
                out[key] = ident
        if missing:
            found = await _select(conn, missing)  # registered by another writer already
            if len(found) < len(missing):
                await self._register(sorted(k for k in missing if k not in found))
                # Read back in the caller's transaction: what its statements will see.
                found = await _select(conn, missing)
            if len(found) != len(missing):
                raise RuntimeError("figure keys could not be resolved")  # not the event's fault
            known.update(found)
            out.update(found)
        return out

    async def _register(self, wanted: list[FigureKey]) -> None:
        """Insert the keys that are still missing (others may be inserting them too), and
        their leaf paths, and commit."""
        async with own_transaction(self._dsn) as conn:
            rows = await conn.fetch(_INSERT_KEYS, [m for m, _ in wanted], [d for _, d in wanted])
            await _record_paths(conn, {(r["metric"], r["dims"]): r["id"] for r in rows})


async def _select(conn: Conn, wanted: list[FigureKey]) -> dict[FigureKey, int]:
    rows = await conn.fetch(_SELECT_KEYS, [m for m, _ in wanted], [d for _, d in wanted])
    return {(r["metric"], r["dims"]): r["id"] for r in rows}


async def _record_paths(conn: Conn, created: dict[FigureKey, int]) -> None:
    key_ids: list[int] = []
    paths: list[str] = []
    amounts: list[bool] = []
    for (metric, dims), ident in created.items():
        for path, uses_amount in CATALOG.leaf_paths(metric, dims):
            key_ids.append(ident)
            paths.append(path)
            amounts.append(uses_amount)
    if paths:
        await conn.execute(_INSERT_PATHS, sorted(set(paths)))
        await conn.execute(_KEY_PATHS, key_ids, paths, amounts)
