"""SQL for reports by workers and families (asyncpg, inside the caller's transaction)."""

from __future__ import annotations

import uuid

import asyncpg

from services.cases.reports.model import RejectionReason, Report


def _report(row: asyncpg.Record) -> Report:
    return Report(
        receipt_digest=row["receipt_digest"],
        case_id=row["case_id"],
        contact=row["contact"],
        received_on=row["received_on"],
        rejection=RejectionReason(row["rejection"]) if row["rejection"] else None,
    )


async def insert(conn: asyncpg.Connection, report: Report) -> None:
    await conn.execute(
        "INSERT INTO reports (receipt_digest, case_id, contact, received_on)"
        " VALUES ($1, $2, $3, $4)",
        report.receipt_digest,
        report.case_id,
        report.contact,
        report.received_on,
    )


async def by_digest(conn: asyncpg.Connection, digest: str) -> Report | None:
    row = await conn.fetchrow("SELECT * FROM reports WHERE receipt_digest = $1", digest)
    return _report(row) if row else None


async def by_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> Report | None:
    row = await conn.fetchrow("SELECT * FROM reports WHERE case_id = $1", case_id)
    return _report(row) if row else None


async def record_rejection(conn: asyncpg.Connection, report: Report) -> None:
    await conn.execute(
        "UPDATE reports SET rejection = $2 WHERE case_id = $1",
        report.case_id,
        report.rejection.value if report.rejection else None,
    )
