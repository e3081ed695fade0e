"""Publishes suppressed area summaries to agencies on ``reporting.area-summary.v1``.

Every ``publish_interval_seconds`` the areas marked dirty by the projection (nation, provinces
and regencies within the node's scope) get an ``area-summary-updated`` event, written to the
outbox in the transaction that clears their dirty mark; the relay publishes it. Suppression is
decided over the whole published tree at once (see :mod:`services.reporting.suppression`),
because a regency's withheld cell could otherwise be recovered from its province and siblings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

import asyncpg

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_code
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.model import PUBLISHED_LEVELS
from services.reporting.projections.store import LIVE
from services.reporting.settings import ReportingSettings
from services.reporting.summary import area_name, leaves, shape, watermark
from services.reporting.suppression import Cell, area_equations, suppress, tree_equations
from shared.areas import area_level, areas, is_within, parent
from shared.contract.envelope import new_event
from shared.contract.events import AreaSummaryUpdated
from shared.logging import get_logger
from shared.outbox import append

log = get_logger(__name__)


async def published_tree(conn: Conn, scope: str, schema: str = LIVE) -> dict[str, list[str]]:
    """Published areas within ``scope`` (nation, provinces, regencies) and their children."""
    extra = [r["code"] for r in await conn.fetch(f"SELECT code FROM {schema}.extra_areas")]
    return tree_of(scope, extra)


@lru_cache(maxsize=16)
def _official_published(scope: str) -> frozenset[str]:
    index = areas()
    return frozenset(
        c for c in index.names if area_level(c) in PUBLISHED_LEVELS and is_within(c, scope)
    )


def tree_of(scope: str, extra: Iterable[str]) -> dict[str, list[str]]:
    """The published tree within ``scope``: the official areas and ``extra`` ("not attributed
    below" areas met in events) at the published levels, each with its children."""
    codes = set(_official_published(scope))
    for code in extra:
        if area_level(code) in PUBLISHED_LEVELS and is_within(code, scope):
            codes.add(code)
    children: dict[str, list[str]] = {c: [] for c in codes}
    for c in codes:
        up = parent(c)
        if up is not None and up in children:
            children[up].append(c)
    return {c: sorted(k) for c, k in children.items()}


async def tree_values(
    conn: Conn, codes: list[str], today: date, schema: str = LIVE
) -> dict[str, dict[str, Decimal]]:
    """The summary leaves of ``codes`` (published areas: their leaves are materialised)."""
    return await leaves(conn, codes, schema, today)


def suppressed_totals(
    values: dict[str, dict[str, Decimal]], children: dict[str, list[str]], k: int
) -> tuple[dict[str, dict[str, Any]], set[Cell], list[str]]:
    """Per area, the nested totals with withheld leaves as null; also what was withheld."""
    paths = shape(values.values())
    flat: dict[Cell, Decimal] = {
        (a, p): values[a].get(p, Decimal(0)) for a in values for p in paths
    }
    equations = tree_equations(children, paths)
    for a in values:
        equations += area_equations(a, paths)
    hidden = suppress(flat, equations, k)
    out = {}
    for a in values:
        shown = {p: (None if (a, p) in hidden else flat[(a, p)]) for p in paths}
        out[a] = nest_nullable(shown, CATALOG.dynamic_objects)
    return out, hidden, paths


def nest_nullable(leaves: dict[str, Decimal | None], objects: tuple[str, ...]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for obj in objects:
        node = root
        for part in obj.split("/"):
            node = node.setdefault(part, {})
    for path, value in leaves.items():
        node = root
        *heads, last = path.split("/")
        for part in heads:
            node = node.setdefault(part, {})
        if value is None:
            node[last] = None
        else:
            node[last] = int(value) if value == value.to_integral_value() else float(value)
    return root


async def publish_once(conn: Conn, settings: ReportingSettings, today: date | None = None) -> int:
    """Publish every dirty area in one transaction; return how many events were written."""
    async with conn.transaction(isolation="repeatable_read"):
        dirty = [
            area_code(r["area"])
            for r in await conn.fetch(f"DELETE FROM {LIVE}.dirty RETURNING area")
        ]
        if not dirty:
            return 0
        children = await published_tree(conn, settings.scope)
        dirty = sorted(a for a in dirty if a in children)
        if not dirty:
            return 0
        values = await tree_values(conn, sorted(children), today or date.today())
        # CPU-bound over the whole tree: off the event loop, so summaries keep being served.
        totals, _, _ = await asyncio.to_thread(
            suppressed_totals, values, children, settings.suppression_k
        )
        mark = await watermark(conn, settings.consumer_name, settings.scope, LIVE)
        seqs = await conn.fetch(
            "INSERT INTO area_publications AS t (area, seq)"
            " SELECT unnest($1::text[]), 1 ON CONFLICT (area) DO UPDATE SET seq = t.seq + 1"
            " RETURNING area, seq",
            dirty,
        )
        seq_of = {r["area"]: r["seq"] for r in seqs}
        events = [
            new_event(
                type="area-summary-updated",
                source="reporting",
                subject=a,
                sequence=seq_of[a],
                area=a,
                data=AreaSummaryUpdated(
                    name=area_name(a),
                    level=area_level(a),
                    k=settings.suppression_k,
                    totals=totals[a],
                    watermark=mark,
                ),
            )
            for a in dirty
        ]
        await append(cast(asyncpg.Connection, conn), *events)
        return len(events)


class SummaryPublisher:
    """Background task running :func:`publish_once` every ``publish_interval_seconds``."""

    def __init__(self, pool: asyncpg.Pool, settings: ReportingSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.published = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reporting-summary-publisher")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.publish_interval_seconds)
            try:
                async with self.pool.acquire() as conn:
                    self.published += await publish_once(
                        cast(asyncpg.Connection, conn), self.settings
                    )
            except asyncpg.SerializationError:
                continue  # dirty marks changed under us: the next round publishes them
            except Exception as exc:
                log.warning("area summary publication failed", error=type(exc).__name__)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
