"""The dictionary of figure keys: ``(metric, dims)`` <-> a small integer id.

Figure rows store the id, not the text; ``figure_key_paths`` records which summary leaves each
key adds to (:func:`services.reporting.projections.model.leaf_paths`), so that PostgreSQL can
fill the materialised leaves and derive the others itself. The tables are append-only and shared
by the live views and a replay's shadow, so an id never changes meaning.

A writer caches the ids it knows to be committed. A key met for the first time is inserted in
the writer's own transaction (the figure rows that use it commit with it or not at all); its id
is cached only once the caller reports the commit (:meth:`FigureKeys.committed`), so a rolled
back transaction cannot leave an id in the cache that the database does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.reporting.db import Conn
from services.reporting.projections.model import leaf_paths

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
    """The ids of figure keys in one database, cached once known to be committed."""

    def __init__(self) -> None:
        self._known: dict[FigureKey, int] = {}
        self._fresh: dict[int, dict[FigureKey, int]] = {}  # per connection, until committed

    def forget(self, conn: Conn) -> None:
        """Drop ids learned on ``conn`` in a transaction that did not report its commit."""
        self._fresh.pop(id(conn), None)

    def committed(self, conn: Conn) -> None:
        """The transaction on ``conn`` committed: the ids it learned are safe to cache."""
        self._known.update(self._fresh.pop(id(conn), {}))

    async def ids(self, conn: Conn, keys: Iterable[FigureKey]) -> dict[FigureKey, int]:
        """The id of every key, inserting (in ``conn``'s transaction) those never seen."""
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
            found = await self._resolve(conn, sorted(missing))
            out.update(found)
            self._fresh.setdefault(id(conn), {}).update(found)
        return out

    async def _resolve(self, conn: Conn, wanted: list[FigureKey]) -> dict[FigureKey, int]:
        metrics = [m for m, _ in wanted]
        dims = [d for _, d in wanted]
        created = {
            (r["metric"], r["dims"]): r["id"] for r in await conn.fetch(_INSERT_KEYS, metrics, dims)
        }
        if created:
            await self._record_paths(conn, created)
        found = dict(created)
        # Keys that existed already; a second look finds those that another writer committed
        # while our insert waited on them (they were not in the first statement's snapshot).
        for _attempt in range(2):
            rest = [k for k in wanted if k not in found]
            if not rest:
                break
            rows = await conn.fetch(_SELECT_KEYS, [m for m, _ in rest], [d for _, d in rest])
            found.update({(r["metric"], r["dims"]): r["id"] for r in rows})
        if len(found) != len(wanted):
            raise RuntimeError("figure keys could not be resolved")  # not the event's fault
        return found

    @staticmethod
    async def _record_paths(conn: Conn, created: dict[FigureKey, int]) -> None:
        key_ids: list[int] = []
        paths: list[str] = []
        amounts: list[bool] = []
        for (metric, dims), ident in created.items():
            for path, uses_amount in leaf_paths(metric, dims):
                key_ids.append(ident)
                paths.append(path)
                amounts.append(uses_amount)
        if paths:
            await conn.execute(_INSERT_PATHS, sorted(set(paths)))
            await conn.execute(_KEY_PATHS, key_ids, paths, amounts)
