"""The reporting tables' building blocks over a real PostgreSQL: the SQL area-id functions agree
with Python's, and the figure-key dictionary stays right across rollbacks and racing writers."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.reporting.projections.area_ids import area_code, area_id
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.model import leaf_paths
from shared.areas import NATION, areas

pytestmark = pytest.mark.integration

KEY = ("workers", "registered|female|procedural|domestic_worker|-")


async def test_sql_area_functions_agree_with_python(make_database) -> None:
    dsn = await make_database("services.reporting")
    codes = list(dict.fromkeys([NATION, *areas().names]))
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT c, area_id(c) AS id, area_code(area_id(c)) AS back FROM unnest($1::text[]) c",
            codes,
        )
    finally:
        await conn.close()
    assert len(rows) == len(codes)
    for r in rows:
        assert r["id"] == area_id(r["c"])
        assert r["back"] == area_code(r["id"]) == r["c"]


async def _key_rows(conn: asyncpg.Connection, key: tuple[str, str]) -> tuple[int | None, int]:
    ident = await conn.fetchval("SELECT id FROM figure_keys WHERE metric = $1 AND dims = $2", *key)
    paths = await conn.fetchval("SELECT count(*) FROM figure_key_paths WHERE key = $1", ident)
    return ident, paths


async def test_a_key_learned_in_a_rolled_back_transaction_is_not_cached(make_database) -> None:
    dsn = await make_database("services.reporting")
    keys = FigureKeys()
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(RuntimeError, match="batch failed"):
            async with conn.transaction():
                await keys.ids(conn, [KEY])
                raise RuntimeError("batch failed")
        keys.forget(conn)  # what the handler does before its next batch
        assert (await _key_rows(conn, KEY))[0] is None, "the rolled back key is gone"

        async with conn.transaction():
            ident = (await keys.ids(conn, [KEY]))[KEY]
        keys.committed(conn)
        assert await _key_rows(conn, KEY) == (ident, len(leaf_paths(*KEY)))

        # Cached now: a read-only transaction (which could not insert) resolves it.
        async with conn.transaction(readonly=True):
            assert await keys.ids(conn, [KEY]) == {KEY: ident}
    finally:
        await conn.close()


async def test_writers_racing_on_a_new_key_get_the_same_id(make_database) -> None:
    dsn = await make_database("services.reporting")
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        tx = first.transaction()
        await tx.start()
        mine = (await FigureKeys().ids(first, [KEY]))[KEY]
        # The second writer's insert waits on the first's uncommitted row, then finds it.
        theirs = asyncio.create_task(_resolve_in_transaction(second, KEY))
        await asyncio.sleep(0.3)
        assert not theirs.done()
        await tx.commit()
        assert await theirs == mine
        assert await _key_rows(first, KEY) == (mine, len(leaf_paths(*KEY)))
    finally:
        await first.close()
        await second.close()


async def _resolve_in_transaction(conn: asyncpg.Connection, key: tuple[str, str]) -> int:
    async with conn.transaction():
        return (await FigureKeys().ids(conn, [key]))[key]
