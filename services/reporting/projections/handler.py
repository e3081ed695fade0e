"""The batch handler the idempotent consumer calls inside its transaction."""

from __future__ import annotations

from collections.abc import Sequence

from services.reporting.db import Conn
from services.reporting.projections.delta import EventLike, cell_deltas, expand, project
from services.reporting.projections.store import (
    LIVE,
    apply_figures,
    load_subjects,
    mark_dirty,
    note_areas,
    note_batch,
    save_subjects,
)

FIGURE_TOPICS = (
    "registry.worker.v1",
    "registry.agency.v1",
    "cases.case.v1",
    "alerts.alert.v1",
)


class ProjectionHandler:
    """Projects a batch: load state, compute deltas in Python, write them with one upsert."""

    def __init__(self, scope: str = "ID", schema: str = LIVE, track_dirty: bool = True) -> None:
        self.scope = scope
        self.schema = schema
        self.track_dirty = track_dirty

    async def __call__(self, conn: Conn, events: Sequence[EventLike]) -> None:
        if not events:
            return
        ids = {e.envelope.subject for e in events}
        subjects = await load_subjects(conn, ids, self.schema)
        result = project(events, subjects, self.scope)
        cube = expand(result.deltas)
        cells = cell_deltas(cube)
        await save_subjects(conn, result.subjects, self.schema)
        await note_areas(conn, {k[0] for k in result.deltas}, self.schema)
        await apply_figures(conn, cube, cells, self.schema)
        if self.track_dirty:
            await mark_dirty(conn, sorted({a for a, _ in cells}), self.schema)
        await note_batch(conn, result, self.schema)
