"""The reporting tables' building blocks over a real PostgreSQL: the SQL area-id functions agree
with Python's, and the figure-key dictionary stays right across rollbacks and racing writers."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.reporting.projections.area_ids import area_code, area_id
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.store import ExtraAreas
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


async def test_a_new_key_is_committed_before_the_batch_that_met_it(make_database) -> None:
    dsn = await make_database("services.reporting")
    keys = FigureKeys(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(RuntimeError, match="batch failed"):
            async with conn.transaction():
                ident = (await keys.ids(conn, [KEY]))[KEY]
                raise RuntimeError("batch failed")
        # The batch rolled back; the key stays registered, with its leaf paths, and cached.
        assert await _key_rows(conn, KEY) == (ident, len(CATALOG.leaf_paths(*KEY)))
        async with conn.transaction(readonly=True):
            assert await keys.ids(conn, [KEY]) == {KEY: ident}
        # Another writer (an empty cache, after a restart) finds it without registering it.
        assert await FigureKeys("postgresql://nowhere.invalid/x").ids(conn, [KEY]) == {KEY: ident}
    finally:
        await conn.close()


async def test_a_writer_does_not_wait_for_another_batch_that_met_the_same_new_key(
    make_database,
) -> None:
    dsn = await make_database("services.reporting")
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        async with first.transaction():
            mine = (await FigureKeys(dsn).ids(first, [KEY]))[KEY]
            # The first batch is still open; the second writer resolves the key at once.
            async with second.transaction():
                theirs = await asyncio.wait_for(FigureKeys(dsn).ids(second, [KEY]), 10)
        assert theirs == {KEY: mine}
        assert await _key_rows(first, KEY) == (mine, len(CATALOG.leaf_paths(*KEY)))
    finally:
        await first.close()
        await second.close()


async def test_writers_racing_on_new_keys_get_the_same_ids(make_database) -> None:
    dsn = await make_database("services.reporting")
    wanted = [("workers", f"registered|female|procedural|domestic_worker|{c}") for c in "ABCDEF"]
    conns = [await asyncpg.connect(dsn) for _ in range(4)]
    try:

        async def resolve(conn: asyncpg.Connection, order: list[tuple[str, str]]) -> dict:
            async with conn.transaction():
                return await FigureKeys(dsn).ids(conn, order)

        got = await asyncio.gather(
            *(resolve(c, wanted[i:] + wanted[:i]) for i, c in enumerate(conns))
        )
        assert all(g == got[0] for g in got)
        assert len(set(got[0].values())) == len(wanted)
        for key, ident in got[0].items():
            assert await _key_rows(conns[0], key) == (ident, len(CATALOG.leaf_paths(*key)))
    finally:
        for c in conns:
            await c.close()


async def test_an_unlisted_area_is_recorded_with_its_ancestors_outside_the_batch(
    make_database,
) -> None:
    dsn = await make_database("services.reporting")
    pseudo = "53.71.00.0000"  # "not attributed below" Kota Kupang
    extra = ExtraAreas(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(RuntimeError, match="batch failed"):
            async with conn.transaction():
                await extra.note(conn, [pseudo, "53.71.01.1001"])  # the village is listed
                raise RuntimeError("batch failed")
        rows = await conn.fetch("SELECT code, parent FROM projection.extra_areas ORDER BY code")
        assert [tuple(r) for r in rows] == [("53.71.00", "53.71"), (pseudo, "53.71.00")]
        # Looked up in the table, not remembered: a table replaced (as a replay's swap does)
        # gets the code again from the next batch that meets it.
        await conn.execute("DELETE FROM projection.extra_areas")
        async with conn.transaction():
            await extra.note(conn, [pseudo])
        assert await conn.fetchval("SELECT count(*) FROM projection.extra_areas") == 2
    finally:
        await conn.close()
