"""SQL of the case workers' directory (asyncpg, inside the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.cases.cases.assignment import CaseWorker
from services.cases.sql import within
from shared.areas import ancestors
from shared.contract.codes import Sex

_OPEN_CASES = "(SELECT count(*) FROM cases c WHERE c.assignee_id = w.id AND c.status <> 'closed')"


def _worker(row: asyncpg.Record) -> CaseWorker:
    return CaseWorker(
        id=row["id"],
        subject=row["subject"],
        sex=Sex(row["sex"]),
        area=row["area"],
        open_cases=row["open_cases"],
    )


async def add(
    conn: asyncpg.Connection, subject: str, sex: Sex, area: str, added_by: str
) -> CaseWorker | None:
    """The new case worker, or None when the subject is in the directory already."""
    row = await conn.fetchrow(
        "INSERT INTO case_workers (id, subject, sex, area, added_by) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (subject) DO NOTHING RETURNING id, subject, sex, area, 0 AS open_cases",
        uuid.uuid4(),
        subject,
        sex.value,
        area,
        added_by,
    )
    return _worker(row) if row else None


async def by_subject(conn: asyncpg.Connection, subject: str) -> CaseWorker | None:
    row = await conn.fetchrow(
        f"SELECT id, subject, sex, area, {_OPEN_CASES} AS open_cases"
        " FROM case_workers w WHERE subject = $1",
        subject,
    )
    return _worker(row) if row else None


async def able_to_handle(conn: asyncpg.Connection, handling_area: str) -> list[CaseWorker]:
    """Every case worker whose area contains ``handling_area`` (who may take such a case)."""
    rows = await conn.fetch(
        f"SELECT id, subject, sex, area, {_OPEN_CASES} AS open_cases"
        " FROM case_workers w WHERE area = ANY($1::text[]) ORDER BY subject",
        ancestors(handling_area),
    )
    return [_worker(r) for r in rows]


async def of_area(conn: asyncpg.Connection, area: str) -> Sequence[CaseWorker]:
    """Case workers of ``area``: whose area lies within it, or contains it (they take its
    cases), least loaded first."""
    inside, params = within("area", area, 2)
    rows = await conn.fetch(
        f"SELECT id, subject, sex, area, {_OPEN_CASES} AS open_cases FROM case_workers w"
        f" WHERE area = ANY($1::text[]) OR {inside} ORDER BY open_cases, subject LIMIT 1000",
        ancestors(area),
        *params,
    )
    return [_worker(r) for r in rows]
