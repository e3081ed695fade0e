"""SQL for agencies (asyncpg, inside the caller's transaction)."""

from __future__ import annotations

import uuid

import asyncpg

from services.registry.agencies.models import AgencyOut, AgencyStatus
from shared.contract.codes import SanctionReason

_COLUMNS = "id, name, licence_no, area, status, reason, note, version, licensed_at, updated_at"


def _out(row: asyncpg.Record) -> AgencyOut:
    return AgencyOut.model_validate(dict(row))


async def insert(
    conn: asyncpg.Connection,
    *,
    agency_id: uuid.UUID,
    name: str,
    licence_no: str,
    area: str | None,
) -> AgencyOut | None:
    """The new agency (version 1), or None when the licence number is taken."""
    row = await conn.fetchrow(
        "INSERT INTO agencies (id, name, licence_no, area, status, version)"
        " VALUES ($1, $2, $3, $4, 'licensed', 1)"
        f" ON CONFLICT (licence_no) DO NOTHING RETURNING {_COLUMNS}",
        agency_id,
        name,
        licence_no,
        area,
    )
    return _out(row) if row else None


async def id_by_licence(conn: asyncpg.Connection, licence_no: str) -> uuid.UUID | None:
    value: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM agencies WHERE licence_no = $1", licence_no
    )
    return value


async def get(
    conn: asyncpg.Connection, agency_id: uuid.UUID, *, lock: bool = False
) -> AgencyOut | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM agencies WHERE id = $1{suffix}", agency_id)
    return _out(row) if row else None


async def status_of(conn: asyncpg.Connection, agency_id: uuid.UUID) -> AgencyStatus | None:
    value = await conn.fetchval("SELECT status FROM agencies WHERE id = $1", agency_id)
    return AgencyStatus(value) if value else None


async def set_status(
    conn: asyncpg.Connection,
    agency_id: uuid.UUID,
    *,
    status: AgencyStatus,
    reason: SanctionReason,
    note: str | None,
    version: int,
) -> AgencyOut:
    row = await conn.fetchrow(
        "UPDATE agencies SET status = $2, reason = $3, note = $4, version = $5,"
        f" updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        agency_id,
        status.value,
        reason.value,
        note,
        version,
    )
    if row is None:
        raise LookupError("agency vanished while locked")
    return _out(row)


async def page(
    conn: asyncpg.Connection, *, status: AgencyStatus | None, limit: int, offset: int
) -> list[AgencyOut]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM agencies WHERE ($1::text IS NULL OR status = $1)"
        " ORDER BY licensed_at, id LIMIT $2 OFFSET $3",
        status.value if status else None,
        limit,
        offset,
    )
    return [_out(r) for r in rows]
