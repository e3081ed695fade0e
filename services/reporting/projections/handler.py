"""The batch handler the idempotent consumer calls inside its transaction."""

from __future__ import annotations

from collections.abc import Sequence

from services.reporting.db import Conn
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.delta import EventLike, project
from services.reporting.projections.keys import FigureKeys
from services.reporting.projections.store import (
    LIVE,
    ExtraAreas,
    apply_leaves,
    load_subjects,
    note_batch,
    save_subjects,
)

# The topics of every event model a kind of subject declares.
FIGURE_TOPICS = CATALOG.topics


class ProjectionHandler:
    """Projects a batch: load state, compute village-level deltas, write them in one statement.

    One handler serves one database, ``dsn`` (it caches that database's figure-key ids and
    registers new ones there in transactions of their own).
    """

    def __init__(
        self, dsn: str, scope: str = "ID", schema: str = LIVE, track_dirty: bool = True
    ) -> None:
        self.scope = scope
        self.schema = schema
        self.track_dirty = track_dirty
        self.keys = FigureKeys(dsn)
        self.extra_areas = ExtraAreas(dsn, schema)

    async def __call__(self, conn: Conn, events: Sequence[EventLike]) -> None:
        if not events:
            return
        subjects = await load_subjects(conn, {e.envelope.subject for e in events}, self.schema)
        result = project(events, subjects, self.scope)
        await save_subjects(conn, result.subjects, self.schema)
        await self.extra_areas.note(conn, {k[0] for k in result.deltas})
        await apply_leaves(
            conn, self.keys, result.deltas, self.schema, track_dirty=self.track_dirty
        )
        await note_batch(conn, result, self.schema)
