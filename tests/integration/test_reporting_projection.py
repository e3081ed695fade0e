"""Reporting projection over a real PostgreSQL: consistency under concurrency, duplicates,
and a province node agreeing with the national node."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from services.reporting.checksums import read_checksums
from services.reporting.db import Conn
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.projections.store import figures
from services.reporting.summary import read_summary, read_summary_json
from shared.areas import NATION, area_level
from tests.unit.reporting.events import Consumed, random_stream

pytestmark = pytest.mark.integration

CLAIM = (
    "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


async def consume(
    pool: asyncpg.Pool,
    handler: ProjectionHandler,
    events: Sequence[Consumed],
    name: str = "reporting",
) -> None:
    """What shared.consumer does per batch: claim ids in the inbox, handle the new ones, commit."""
    async with pool.acquire() as conn, conn.transaction():
        fresh = {
            r["event_id"] for r in await conn.fetch(CLAIM, name, [e.envelope.id for e in events])
        }
        await handler(conn, [e for e in events if e.envelope.id in fresh])


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}"
        if isinstance(value, dict):
            out.update(leaves(value, path))
        else:
            out[path] = value
    return out


def assert_parent_is_sum(summary: dict[str, Any]) -> None:
    own = leaves(summary["totals"])
    kids = [leaves(c["totals"]) for c in summary["children"]]
    for kid in kids:
        assert kid.keys() == own.keys(), "every child's totals have the area's shape"
    if not kids:
        return
    for path, value in own.items():
        total = sum(k[path] for k in kids)
        assert value == pytest.approx(total), (summary["area"], path, value, total)


async def walk_tree(conn: Conn, scope: str = NATION) -> int:
    """Read every area with figures, from the nation down, checking each parent is a sum."""
    seen = 0
    stack = [scope]
    while stack:
        code = stack.pop()
        summary = await read_summary(conn, code, scope=scope, consumer="reporting")
        assert_parent_is_sum(summary)
        # The HTTP path renders JSON from PostgreSQL's number texts: the same summary.
        as_json = await read_summary_json(conn, code, scope=scope, consumer="reporting")
        assert json.loads(as_json) == summary
        seen += 1
        for child in summary["children"]:
            if any(leaves(child["totals"]).values()) and area_level(child["area"]) != "village":
                stack.append(child["area"])
    return seen


async def test_every_parent_equals_its_children_while_batches_are_applied(make_database) -> None:
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=6)
    events = random_stream(4_000, seed=11)
    # Two writers on disjoint subjects, like two partitions, and one reader walking the tree.
    by_half: list[list[Consumed]] = [[], []]
    for e in events:
        by_half[hash(e.envelope.subject) % 2].append(e)
    handler = ProjectionHandler(dsn)
    done = asyncio.Event()
    walks = 0

    async def writer(stream: list[Consumed]) -> None:
        for i in range(0, len(stream), 97):
            await consume(pool, handler, stream[i : i + 97])

    async def reader() -> None:
        nonlocal walks
        while not done.is_set() or walks == 0:
            async with (
                pool.acquire() as conn,
                conn.transaction(isolation="repeatable_read", readonly=True),
            ):
                await walk_tree(conn)
            walks += 1

    try:
        reading = asyncio.create_task(reader())
        await asyncio.gather(writer(by_half[0]), writer(by_half[1]))
        done.set()
        await reading
        async with pool.acquire() as conn:
            final = await read_summary(conn, NATION, scope=NATION, consumer="reporting")
            assert await walk_tree(conn) > 10
        assert walks >= 2, "the reader walked the tree while batches were applied"
        registered = sum(1 for e in events if e.envelope.type == "worker-registered")
        workers = leaves(final["totals"])
        counted = sum(v for p, v in workers.items() if p.startswith("/workers/"))
        assert counted == registered
    finally:
        await pool.close()


async def test_duplicates_and_replays_change_nothing(make_database) -> None:
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    events = random_stream(1_500, seed=5)
    handler = ProjectionHandler(dsn)
    try:
        for i in range(0, len(events), 200):
            await consume(pool, handler, events[i : i + 200])
        async with pool.acquire() as conn:
            before = await all_checksums(conn)
            # The inbox drops exact redeliveries...
            for i in range(0, len(events), 300):
                await consume(pool, handler, events[i : i + 300])
            assert await all_checksums(conn) == before
            # ...and a replay under a fresh consumer name (inbox empty) is stopped by sequences.
            for i in range(0, len(events), 500):
                await consume(pool, handler, events[i : i + 500], name="replayed")
            after = await all_checksums(conn)
        assert after == before
    finally:
        await pool.close()


async def all_checksums(conn: Conn) -> dict[tuple[str, str, str], Any]:
    return await figures(conn)


async def test_province_node_equals_national_node_for_its_province(make_database) -> None:
    national_dsn = await make_database("services.reporting")
    province_dsn = await make_database("services.reporting")
    national = await asyncpg.create_pool(national_dsn, min_size=1, max_size=2)
    province = await asyncpg.create_pool(province_dsn, min_size=1, max_size=2)
    events = random_stream(2_500, seed=23)
    try:
        for i in range(0, len(events), 250):
            batch = events[i : i + 250]
            await consume(national, ProjectionHandler(national_dsn, "ID"), batch)
            await consume(province, ProjectionHandler(province_dsn, "53"), batch)
        async with national.acquire() as a, province.acquire() as b:
            stack = ["53"]
            compared = 0
            while stack:
                code = stack.pop()
                left = await read_checksums(a, code, scope="ID", consumer="reporting")
                right = await read_checksums(b, code, scope="53", consumer="reporting")
                assert left["checksum"] == right["checksum"], code
                assert left["children"] == right["children"], code
                s_left = await read_summary(a, code, scope="ID", consumer="reporting")
                s_right = await read_summary(b, code, scope="53", consumer="reporting")
                assert s_left["totals"] == s_right["totals"]
                assert s_left["children"] == s_right["children"]
                compared += 1
                stack += [
                    c["area"]
                    for c in left["children"]
                    if c["checksum"] != "empty" and area_level(c["area"]) != "village"
                ]
            assert compared > 5
            # The province node holds nothing else; the nation there is just its province.
            whole = await read_summary(b, NATION, scope="53", consumer="reporting")
            assert [c["area"] for c in whole["children"]] == ["53"]
            other = await b.fetchval(
                "SELECT count(*) FROM projection.figures WHERE area LIKE '32%'"
            )
            assert other == 0
    finally:
        await national.close()
        await province.close()
