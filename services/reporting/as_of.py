"""Figures as of a past date, rebuilt from the log in memory (no view is touched)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from services.reporting.log_reader import read_log
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.delta import Key, Subject, Value, expand, project, sum_into
from services.reporting.projections.handler import FIGURE_TOPICS
from services.reporting.settings import ReportingSettings
from services.reporting.summary import UnknownArea, area_name, held_by, nest, shape
from shared.areas import area_level, areas, parent


async def rebuild_cube(settings: ReportingSettings, day: date) -> dict[Key, Value]:
    """The leaf-area cube of every event whose time is on or before ``day`` (UTC)."""
    subjects: dict[str, Subject] = {}
    cube: dict[Key, Value] = {}
    async for batch in read_log(settings, FIGURE_TOPICS):
        chosen = [e for e in batch if e.envelope.time.date() <= day]
        result = project(chosen, subjects, settings.scope)
        subjects.update(result.subjects)
        sum_into(cube, result.deltas)
    return expand(cube)


def summary_from_cube(cube: dict[Key, Value], code: str, scope: str, day: date) -> dict[str, Any]:
    """The summary of ``code`` from an in-memory cube (as :func:`read_summary` answers it)."""
    present = {k[0] for k in cube}
    if not held_by(code, scope) or (code not in areas() and code not in present):
        raise UnknownArea(code)
    kids: list[str] = []
    if area_level(code) != "village":
        extra = {a for a in present if parent(a) == code}
        kids = sorted(c for c in {*areas().children(code), *extra} if held_by(c, scope))
    wanted = {code, *kids}
    values: dict[str, dict[str, Decimal]] = {c: defaultdict(Decimal) for c in wanted}
    for (area, metric, key), (n, amount) in cube.items():
        if area not in wanted:
            continue
        for path, value in CATALOG.cell_paths(metric, key, n, amount):
            values[area][path] += value
        due = CATALOG.due_leaves.get(metric)
        if due is not None and key < day.isoformat():
            values[area][due] += n
    paths, objects = shape(values.values()), CATALOG.dynamic_objects
    return {
        "area": code,
        "name": area_name(code),
        "level": area_level(code),
        "totals": nest(values[code], paths, objects),
        "children": [
            {
                "area": c,
                "name": area_name(c),
                "level": area_level(c),
                "totals": nest(values[c], paths, objects),
            }
            for c in kids
        ],
        "watermark": {"scope": scope, "as_of": day.isoformat(), "rebuilt_from_log": True},
    }


async def summary_as_of(settings: ReportingSettings, code: str, day: date) -> dict[str, Any]:
    cube = await rebuild_cube(settings, day)
    return summary_from_cube(cube, code, settings.scope, day)
