"""The audit trail: every read of a personal record and every change, in the registry's database.

Rows name the caller (token subject, role, area), the action, the worker or agency concerned and
the request's correlation id; never personal data. Changes are audited in the transaction of the
change, so a refused or failed request leaves no audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.registry.context import current_correlation_id
from shared.auth import Principal

_INSERT = (
    "INSERT INTO audit_log (actor, role, actor_area, action, worker_id, agency_id, correlation_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


async def record(
    conn: asyncpg.Connection,
    principal: Principal,
    action: str,
    *,
    worker_id: uuid.UUID | None = None,
    agency_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        _INSERT,
        principal.sub,
        principal.role.value,
        principal.area,
        action,
        worker_id,
        agency_id,
        current_correlation_id(),
    )


async def record_reads(
    conn: asyncpg.Connection, principal: Principal, action: str, worker_ids: Sequence[uuid.UUID]
) -> None:
    """One row per personal record shown (a list page shows several)."""
    if not worker_ids:
        return
    correlation_id = current_correlation_id()
    await conn.executemany(
        _INSERT,
        [
            (principal.sub, principal.role.value, principal.area, action, w, None, correlation_id)
            for w in worker_ids
        ],
    )


@dataclass(frozen=True)
class Change:
    """One audited change of a worker, made by a request other than the one running."""

    principal: Principal
    action: str
    worker_id: uuid.UUID
    correlation_id: str | None


async def record_changes(conn: asyncpg.Connection, changes: Sequence[Change]) -> None:
    """Audit several requests' changes in one statement (group commit: each keeps its caller
    and correlation id)."""
    if not changes:
        return
    await conn.execute(
        "INSERT INTO audit_log (actor, role, actor_area, action, worker_id, correlation_id)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[],"
        " $6::text[])",
        [c.principal.sub for c in changes],
        [c.principal.role.value for c in changes],
        [c.principal.area for c in changes],
        [c.action for c in changes],
        [c.worker_id for c in changes],
        [c.correlation_id for c in changes],
    )
