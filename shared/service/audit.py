"""The audit trail: who did or read what, written in the transaction of the change or read.

Each service keeps its own ``audit_log`` table with the common columns ``actor`` (the token's
subject), ``role``, ``actor_area``, ``action`` and ``correlation_id``, plus columns of its own
naming what was touched (the registry's ``worker_id`` and ``agency_id``). Rows never hold
personal data: ids, roles and area codes only. Refused requests leave no row (their transaction
is rolled back), except what a service records on purpose (a probe, in a transaction of its own).

    await audit.record(conn, principal, "worker.verify", worker_id=worker_id)
    await audit.record_reads(conn, principal, "worker.list", "worker_id", ids)
    await audit.record_many(conn, [audit.Entry(principal, "worker.register",
                                               {"worker_id": id}, correlation_id), ...])
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg

from shared.auth import Principal
from shared.service.context import current_correlation_id

Ref = uuid.UUID | int | str | None
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Entry:
    """One audit row: the caller, the action, what it concerns and the request's correlation."""

    principal: Principal
    action: str
    refs: Mapping[str, Ref] = field(default_factory=dict)
    correlation_id: str | None = None


async def record(conn: asyncpg.Connection, principal: Principal, action: str, **refs: Ref) -> None:
    """One row for the current request (its correlation id)."""
    await record_many(conn, [Entry(principal, action, refs, current_correlation_id())])


async def record_reads(
    conn: asyncpg.Connection,
    principal: Principal,
    action: str,
    column: str,
    ids: Sequence[uuid.UUID],
) -> None:
    """One row per record shown (a list page shows several)."""
    correlation_id = current_correlation_id()
    await record_many(conn, [Entry(principal, action, {column: i}, correlation_id) for i in ids])


async def record_many(conn: asyncpg.Connection, entries: Sequence[Entry]) -> None:
    """Several rows in one statement (group commit: each keeps its caller and correlation id)."""
    if not entries:
        return
    # A column with no value in any entry is left to its default (NULL).
    columns = sorted({name for e in entries for name, value in e.refs.items() if value is not None})
    for name in columns:
        if not _COLUMN.match(name):
            raise ValueError(f"not an audit column name: {name!r}")
    types = [_array_type([e.refs.get(name) for e in entries]) for name in columns]
    common = ["actor", "role", "actor_area", "action", "correlation_id"]
    arrays = [
        [e.principal.sub for e in entries],
        [e.principal.role.value for e in entries],
        [e.principal.area for e in entries],
        [e.action for e in entries],
        [e.correlation_id for e in entries],
        *([e.refs.get(name) for e in entries] for name in columns),
    ]
    params = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(["text"] * 5 + types, start=1))
    await conn.execute(
        f"INSERT INTO audit_log ({', '.join(common + columns)}) SELECT * FROM unnest({params})",
        *arrays,
    )


def _array_type(values: Sequence[Ref]) -> str:
    if any(isinstance(v, uuid.UUID) for v in values):
        return "uuid"
    if any(isinstance(v, int) for v in values):
        return "bigint"  # a row id (e.g. the cases service's referral_id)
    return "text"
