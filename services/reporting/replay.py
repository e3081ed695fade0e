"""Replay: rebuild the views from the topics beside the live ones, then swap them in.

1. A shadow schema is created with the live tables' definitions (``projection_shadow``).
2. The topics are read from offset 0 (no consumer group) and projected into the shadow, with a
   progress bar; the live consumer keeps serving and applying events meanwhile.
3. Swap, in one transaction: the live tables are locked against writers (EXCLUSIVE: summary
   reads go on), the live consumer's committed positions are read, the shadow applies the tail
   of the log up to exactly those positions, and the schemas are renamed. The consumer's blocked
   batch then resolves ``projection.*`` to the new tables, and its inbox already holds every
   event up to those positions, so nothing is lost or applied twice.
4. The old schema is dropped; every published area is marked for republication.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from aiokafka import TopicPartition

from services.reporting.db import Conn
from services.reporting.log_reader import LogEvent, read_log
from services.reporting.projections.delta import (
    Key,
    Projection,
    Subject,
    Value,
    project,
    sum_into,
)
from services.reporting.projections.handler import FIGURE_TOPICS, ProjectionHandler
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.store import (
    LIVE,
    apply_leaves,
    note_areas,
    note_batch,
    save_subjects,
)
from services.reporting.settings import ReportingSettings
from shared.migrations import migrate

SHADOW = "projection_shadow"
OLD = "projection_old"
TABLES = ("cube", "cells", "subjects", "extra_areas", "meta", "dirty")

T = TypeVar("T")
Progress = Callable[[int, int], None]  # (events read so far, estimated total)


@dataclass
class ReplayResult:
    events: int
    tail_events: int
    seconds: float


async def _create_shadow(conn: Conn) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE")
    await conn.execute(f"CREATE SCHEMA {SHADOW}")
    for table in TABLES:
        await conn.execute(f"CREATE TABLE {SHADOW}.{table} (LIKE {LIVE}.{table} INCLUDING ALL)")
    await conn.execute(f"INSERT INTO {SHADOW}.meta DEFAULT VALUES")
    view = await conn.fetchval("SELECT pg_get_viewdef($1::regclass)", f"{LIVE}.figures")
    await conn.execute(
        f"CREATE VIEW {SHADOW}.figures AS {view.replace(f'{LIVE}.cube', f'{SHADOW}.cube')}"
    )


async def _apply(
    conn: Conn,
    handler: ProjectionHandler,
    batch: list[LogEvent],
    seen: set[object],
    positions: dict[TopicPartition, int],
) -> int:
    fresh = []
    for e in batch:
        tp = TopicPartition(e.topic, e.partition)
        positions[tp] = max(positions.get(tp, 0), e.offset + 1)
        if e.envelope.id not in seen:  # the log is at-least-once: the live inbox's job, here
            seen.add(e.envelope.id)
            fresh.append(e)
    if fresh:
        async with conn.transaction():
            await handler(conn, fresh)
    return len(fresh)


@dataclass
class _Memory:
    """The whole shadow state, accumulated in memory and written once (the shadow is private)."""

    subjects: dict[str, Subject]
    leaves: dict[Key, Value]
    totals: Projection


def _fold(
    memory: _Memory,
    scope: str,
    batch: list[LogEvent],
    seen: set[object],
    positions: dict[TopicPartition, int],
) -> None:
    fresh = []
    for e in batch:
        tp = TopicPartition(e.topic, e.partition)
        positions[tp] = max(positions.get(tp, 0), e.offset + 1)
        if e.envelope.id not in seen:
            seen.add(e.envelope.id)
            fresh.append(e)
    if not fresh:
        return
    result = project(fresh, memory.subjects, scope)
    memory.subjects.update(result.subjects)
    sum_into(memory.leaves, result.deltas)
    t = memory.totals
    t.applied += result.applied
    t.skipped += result.skipped
    if result.last_event_time is not None and (
        t.last_event_time is None or result.last_event_time > t.last_event_time
    ):
        t.last_event_time = result.last_event_time


def _chunks(keys: list[T], size: int = 50_000) -> list[list[T]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


async def _write(conn: Conn, memory: _Memory) -> None:
    """Write the folded state once; PostgreSQL expands the leaves to every ancestor."""
    keys = FigureKeys()
    async with conn.transaction():
        for ids in _chunks(sorted(memory.subjects)):
            await save_subjects(conn, {i: memory.subjects[i] for i in ids}, SHADOW)
        await note_areas(conn, {k[0] for k in memory.leaves}, SHADOW)
        for chunk in _chunks(sorted(memory.leaves)):
            leaves = {k: memory.leaves[k] for k in chunk}
            await apply_leaves(conn, keys, leaves, SHADOW, track_dirty=False)
            keys.committed(conn)  # one transaction: ids learned in it stay valid within it
        await note_batch(conn, memory.totals, SHADOW)


async def _live_positions(conn: Conn, consumer: str) -> dict[TopicPartition, int]:
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_positions WHERE consumer = $1",
        consumer,
    )
    return {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}


def _ahead(shadow: dict[TopicPartition, int], live: dict[TopicPartition, int]) -> bool:
    return any(off > live.get(tp, 0) for tp, off in shadow.items())


async def replay(settings: ReportingSettings, progress: Progress | None = None) -> ReplayResult:
    """Rebuild the reporting views from the log and swap them in without stopping reads."""
    started = time.perf_counter()
    await migrate(settings.database_url, "services.reporting")
    conn = await asyncpg.connect(settings.database_url)
    try:
        await _create_shadow(conn)
        total = await conn.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM consumer_positions WHERE consumer = $1",
            settings.consumer_name,
        )
        handler = ProjectionHandler(settings.scope, schema=SHADOW, track_dirty=False)
        seen: set[object] = set()
        positions: dict[TopicPartition, int] = {}
        read = 0
        memory = _Memory({}, {}, Projection())
        chunk = max(settings.consumer_batch_size, 10_000)
        async for batch in read_log(settings, FIGURE_TOPICS, batch=chunk):
            _fold(memory, settings.scope, batch, seen, positions)
            read += len(batch)
            if progress is not None:
                progress(read, max(total, read))
        await _write(conn, memory)
        del memory
        tail = 0
        for _attempt in range(600):
            live = await _live_positions(conn, settings.consumer_name)
            if _ahead(positions, live):
                # The shadow read events the live consumer has not committed yet: swapping now
                # would let it apply them a second time. Let it catch up first.
                await asyncio.sleep(0.2)
                continue
            async with conn.transaction():
                for table in ("subjects", "cube", "cells", "meta"):
                    await conn.execute(f"LOCK TABLE {LIVE}.{table} IN EXCLUSIVE MODE")
                live = await _live_positions(conn, settings.consumer_name)
                if _ahead(positions, live):
                    continue  # ends the transaction, releasing the locks
                async for batch in read_log(
                    settings, FIGURE_TOPICS, start=dict(positions), until=live, idle_ms=500
                ):
                    tail += await _apply(conn, handler, batch, seen, positions)
                await conn.execute(f"ALTER SCHEMA {LIVE} RENAME TO {OLD}")
                await conn.execute(f"ALTER SCHEMA {SHADOW} RENAME TO {LIVE}")
                await conn.execute(
                    f"INSERT INTO {LIVE}.dirty (area) SELECT DISTINCT area FROM {LIVE}.cells"
                    " ON CONFLICT DO NOTHING"
                )
            break
        else:
            raise RuntimeError("the live consumer did not catch up with the replay; retry later")
        await conn.execute(f"DROP SCHEMA {OLD} CASCADE")
        return ReplayResult(read, tail, time.perf_counter() - started)
    finally:
        await conn.close()
