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
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from services.reporting.db import Conn
from services.reporting.log_reader import LogEvent, list_partitions, read_log
from services.reporting.projections.area_ids import REGENCY_OR_ABOVE
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
    STAGED_COLUMNS,
    ExtraAreas,
    apply_staged,
    copy_subjects,
    note_batch,
    stage_leaves,
)
from services.reporting.settings import ReportingSettings
from shared.gc_tuning import tune_for_batches
from shared.migrations import migrate

SHADOW = "projection_shadow"
STAGED = "staged_leaves"  # in the shadow, while folds write
OLD = "projection_old"
TABLES = ("cube", "cells", "subjects", "extra_areas", "meta", "dirty")

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
    await conn.execute(f"CREATE UNLOGGED TABLE {SHADOW}.{STAGED} ({STAGED_COLUMNS})")
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


async def _write(conn: Conn, dsn: str, memory: _Memory) -> None:
    """Write the folded state: subjects and totals to the shadow, figure deltas staged.

    Folds running at once stage their village-level deltas in one unindexed table (they share
    villages, so writing the figures directly would make them wait on each other's rows);
    :func:`replay` then sums and expands them in one statement. The figure keys are
    registered in transactions of their own (:class:`FigureKeys`), so that folds never wait on
    each other's new keys inside their long transactions; so are new extra area codes.
    """
    keys, extra_areas = FigureKeys(dsn), ExtraAreas(dsn, SHADOW)
    async with conn.transaction():
        # Each fold owns its partitions' subjects: none is in the shadow yet.
        await copy_subjects(conn, memory.subjects, SHADOW)
        await extra_areas.note(conn, {k[0] for k in memory.leaves})
        await stage_leaves(conn, keys, memory.leaves, SHADOW, STAGED)
        await note_batch(conn, memory.totals, SHADOW)


@dataclass
class Folded:
    """What one fold wrote to the shadow: where it stopped per partition, how much it read."""

    positions: dict[tuple[str, int], int]
    read: int
    read_seconds: float  # reading, parsing and folding in memory
    write_seconds: float  # writing the folded state to the shadow schema


async def fold_into_shadow(
    settings: ReportingSettings,
    partitions: list[tuple[str, int]],
    progress: Callable[[int], None] | None = None,
) -> Folded:
    """Read ``partitions`` from offset 0 until idle, fold them in memory, write the shadow."""
    seen: set[object] = set()
    positions: dict[TopicPartition, int] = {}
    memory = _Memory({}, {}, Projection())
    read = 0
    chunk = max(settings.consumer_batch_size, 10_000)
    started = time.perf_counter()
    async for batch in read_log(settings, FIGURE_TOPICS, batch=chunk, partitions=partitions):
        _fold(memory, settings.scope, batch, seen, positions)
        read += len(batch)
        if progress is not None:
            progress(len(batch))
    folded = time.perf_counter()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await _write(conn, settings.database_url, memory)
    finally:
        await conn.close()
    return Folded(
        {(tp.topic, tp.partition): o for tp, o in positions.items()},
        read,
        folded - started,
        time.perf_counter() - folded,
    )


def _counter(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    done = [0]

    def count(n: int) -> None:
        done[0] += n
        progress(done[0], max(total, done[0]))

    return count


def _fold_process(settings_json: str, partitions: list[tuple[str, int]], queue: Any) -> Folded:
    """A child process's share of the replay (run by :func:`_fold_in_processes`)."""
    tune_for_batches()
    settings = ReportingSettings.model_validate_json(settings_json)
    return asyncio.run(fold_into_shadow(settings, partitions, queue.put))


async def _fold_in_processes(
    settings: ReportingSettings,
    groups: list[list[tuple[str, int]]],
    progress: Progress | None,
    total: int,
) -> list[Folded]:
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(len(groups), mp_context=context) as pool:
        queue = manager.Queue()
        settings_json = settings.model_dump_json()
        jobs = [
            loop.run_in_executor(pool, _fold_process, settings_json, group, queue)
            for group in groups
        ]
        count = _counter(progress, total)
        pending = asyncio.gather(*jobs)
        while not pending.done():
            await asyncio.wait([pending], timeout=0.2)
            while not queue.empty():
                n = queue.get()
                if count is not None:
                    count(n)
        return list(pending.result())


async def _live_positions(conn: Conn, consumer: str) -> dict[TopicPartition, int]:
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_positions WHERE consumer = $1",
        consumer,
    )
    return {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}


def _ahead(shadow: dict[TopicPartition, int], live: dict[TopicPartition, int]) -> bool:
    return any(off > live.get(tp, 0) for tp, off in shadow.items())


async def replay(
    settings: ReportingSettings, progress: Progress | None = None, processes: int = 1
) -> ReplayResult:
    """Rebuild the reporting views from the log and swap them in without stopping reads.

    ``processes`` > 1 folds the partitions in that many processes at once: a subject's events
    are all in one partition and figures add up, so each process folds and writes its share.
    """
    started = time.perf_counter()
    await migrate(settings.database_url, "services.reporting")
    conn = await asyncpg.connect(settings.database_url)
    try:
        await _create_shadow(conn)
        total = await conn.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM consumer_positions WHERE consumer = $1",
            settings.consumer_name,
        )
        handler = ProjectionHandler(
            settings.database_url, settings.scope, schema=SHADOW, track_dirty=False
        )
        parts = [(tp.topic, tp.partition) for tp in await list_partitions(settings, FIGURE_TOPICS)]
        groups = [g for g in (parts[i::processes] for i in range(max(1, processes))) if g]
        if len(groups) == 1:
            folded = [await fold_into_shadow(settings, groups[0], _counter(progress, total))]
        else:
            folded = await _fold_in_processes(settings, groups, progress, total)
        async with conn.transaction():
            await apply_staged(conn, SHADOW, STAGED)
            await conn.execute(f"DROP TABLE {SHADOW}.{STAGED}")
        positions = {TopicPartition(t, p): o for f in folded for (t, p), o in f.positions.items()}
        read = sum(f.read for f in folded)
        seen: set[object] = set()  # the tail: sequences stop any copy of a folded event
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
                    f" WHERE area < {REGENCY_OR_ABOVE} ON CONFLICT DO NOTHING"
                )
            break
        else:
            raise RuntimeError("the live consumer did not catch up with the replay; retry later")
        await conn.execute(f"DROP SCHEMA {OLD} CASCADE")
        return ReplayResult(read, tail, time.perf_counter() - started)
    finally:
        await conn.close()
