"""Reading the worker replica (written by :mod:`.replica`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

from shared.contract.codes import Sex, WorkerStatus


@dataclass(frozen=True)
class WorkerFacts:
    """What cases knows of a registered worker."""

    id: uuid.UUID
    village: str
    sex: Sex
    procedural: bool
    status: WorkerStatus | None
    agency_id: uuid.UUID | None  # of the latest placement


async def facts_of(
    conn: asyncpg.Connection, worker_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, WorkerFacts]:
    """The workers whose registration has reached the replica (others are left out)."""
    rows = await conn.fetch(
        "SELECT id, village, sex, procedural, status, agency_id FROM workers"
        " WHERE id = ANY($1::uuid[]) AND registered_seq > 0",
        list(set(worker_ids)),
    )
    return {
        r["id"]: WorkerFacts(
            id=r["id"],
            village=r["village"],
            sex=Sex(r["sex"]),
            procedural=r["procedural"],
            status=WorkerStatus(r["status"]) if r["status"] else None,
            agency_id=r["agency_id"],
        )
        for r in rows
    }
