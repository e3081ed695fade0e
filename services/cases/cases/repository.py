"""SQL for cases (asyncpg, inside the caller's transaction).

A :class:`Case` is stored as its ``cases`` row (the aggregate's fields, its next deadline and
``version``) and its running clocks (``case_clocks``). What it accumulates — actions, referrals,
escalations, the ``case_overdue`` alerts decided on — is appended from the events a command
recorded (:func:`save`), never rewritten. A case loaded for a command carries its clocks and the
alerts decided on (the rules read them) but not the lists of past actions and referrals, which
commands only append to; reads of the case file fetch those (:func:`history`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.cases.access.break_glass import BreakGlassGrant
from services.cases.cases import events as happened
from services.cases.cases.assignment import CaseWorker
from services.cases.cases.deadlines import Clocks, Deadline
from services.cases.cases.intake import Consent
from services.cases.cases.model import Case, Closure
from services.cases.sql import within
from shared.auth import Role
from shared.contract.codes import (
    CaseCategory,
    CaseStatus,
    ClosureReason,
    DueClock,
    GbvType,
    IntakeChannel,
    Level,
    Sex,
)

_CLOCK_ORDER = {clock: n for n, clock in enumerate(DueClock)}
_STORED = (
    "id, area, handling_area, level, category, gbv_type, sex, procedural, worker_id, agency_id,"
    " channel, verified, status, opened_on, documents_complete, consent_referral,"
    " consent_sharing, requested_case_worker_sex, assignee_id, closure_reason, closed_on,"
    " closure_note, merged_into, due_on, due_clock, narrative, version"
)
_TYPES = (
    "uuid, text, text, text, text, text, text, bool, uuid, uuid, text, bool, text, date, bool,"
    " bool, bool, text, uuid, text, date, text, uuid, date, text, text, int"
)


def _value(code: Any) -> Any:
    return code.value if hasattr(code, "value") else code


def _row(case: Case) -> tuple[Any, ...]:
    """The ``cases`` columns of :data:`_STORED`, in order."""
    due = case.next_deadline
    closure = case.closure
    return (
        case.id,
        case.area,
        case.handling_area,
        case.level.value,
        case.category.value,
        _value(case.gbv_type),
        case.sex.value,
        case.procedural,
        case.worker_id,
        case.agency_id,
        case.channel.value,
        case.verified,
        case.status.value,
        case.opened_on,
        case.documents_complete,
        case.consent.referral,
        case.consent.sharing,
        _value(case.requested_case_worker_sex),
        case.assignee.id if case.assignee else None,
        closure.reason.value if closure else None,
        closure.closed_on if closure else None,
        closure.note if closure else None,
        closure.merged_into if closure else None,
        due.due_on if due else None,
        due.clock.value if due else None,
        case.narrative,
        case.version,
    )


async def insert_many(conn: asyncpg.Connection, cases: Sequence[Case]) -> None:
    """New cases (just opened) and their clocks, in two statements."""
    if not cases:
        return
    rows = [_row(c) for c in cases]
    columns = _STORED.split(", ")
    types = _TYPES.split(", ")
    arrays = ", ".join(f"${i}::{t.strip()}[]" for i, t in enumerate(types, start=1))
    await conn.execute(
        f"INSERT INTO cases ({_STORED}) SELECT * FROM unnest({arrays})",
        *([row[i] for row in rows] for i in range(len(columns))),
    )
    await _insert_clocks(conn, [(c.id, c.clocks) for c in cases])


async def _insert_clocks(
    conn: asyncpg.Connection, clocks: Sequence[tuple[uuid.UUID, Clocks]]
) -> None:
    running = [(case_id, d) for case_id, c in clocks for d in c.running]
    if running:
        await conn.execute(
            "INSERT INTO case_clocks (case_id, clock, started_on, due_on)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[])",
            [case_id for case_id, _ in running],
            [d.clock.value for _, d in running],
            [d.started_on for _, d in running],
            [d.due_on for _, d in running],
        )


async def load(conn: asyncpg.Connection, case_id: uuid.UUID, *, lock: bool = False) -> Case | None:
    """The case; with ``lock``, its row is locked until the transaction ends (one writer)."""
    row = await conn.fetchrow(
        f"SELECT c.{_STORED.replace(', ', ', c.')}, w.subject AS assignee_subject,"
        " w.sex AS assignee_sex, w.area AS assignee_area"
        " FROM cases c LEFT JOIN case_workers w ON w.id = c.assignee_id WHERE c.id = $1"
        + (" FOR UPDATE OF c" if lock else ""),
        case_id,
    )
    if row is None:
        return None
    clocks = await conn.fetch(
        "SELECT clock, started_on, due_on FROM case_clocks WHERE case_id = $1", case_id
    )
    alerts = await conn.fetch("SELECT alert_id FROM case_alerts WHERE case_id = $1", case_id)
    return _case(row, clocks, {r["alert_id"] for r in alerts})


def _case(row: asyncpg.Record, clocks: Sequence[asyncpg.Record], alerts: set[uuid.UUID]) -> Case:
    deadlines = sorted(
        (Deadline(DueClock(r["clock"]), r["started_on"], r["due_on"]) for r in clocks),
        key=lambda d: _CLOCK_ORDER[d.clock],
    )
    assignee = None
    if row["assignee_id"] is not None:
        assignee = CaseWorker(
            id=row["assignee_id"],
            subject=row["assignee_subject"],
            sex=Sex(row["assignee_sex"]),
            area=row["assignee_area"],
        )
    closure = None
    if row["closure_reason"] is not None:
        closure = Closure(
            ClosureReason(row["closure_reason"]),
            row["closed_on"],
            row["closure_note"],
            row["merged_into"],
        )
    requested = row["requested_case_worker_sex"]
    return Case(
        id=row["id"],
        area=row["area"],
        sex=Sex(row["sex"]),
        category=CaseCategory(row["category"]),
        gbv_type=GbvType(row["gbv_type"]) if row["gbv_type"] else None,
        procedural=row["procedural"],
        worker_id=row["worker_id"],
        agency_id=row["agency_id"],
        channel=IntakeChannel(row["channel"]),
        narrative=row["narrative"],
        consent=Consent(referral=row["consent_referral"], sharing=row["consent_sharing"]),
        requested_case_worker_sex=Sex(requested) if requested else None,
        level=Level(row["level"]),
        verified=row["verified"],
        opened_on=row["opened_on"],
        status=CaseStatus(row["status"]),
        documents_complete=row["documents_complete"],
        clocks=Clocks(tuple(deadlines)),
        assignee=assignee,
        closure=closure,
        handled_alerts=alerts,
        version=row["version"],
    )


async def save(
    conn: asyncpg.Connection,
    case: Case,
    recorded: Sequence[happened.CaseEvent],
    *,
    clocks_before: Clocks,
    by: str,
) -> list[int | None]:
    """Store ``case`` after a command that ``recorded`` these events (``by``: who, a token
    subject or a system name): its row, its clocks if they changed, and what it accumulated.
    Returns, per event, the id of the row it added where the audit names it (a referral's)."""
    columns = _STORED.split(", ")
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns[1:], start=2))
    await conn.execute(
        f"UPDATE cases SET {assignments}, updated_at = now() WHERE id = $1", *_row(case)
    )
    if case.clocks != clocks_before:
        await conn.execute("DELETE FROM case_clocks WHERE case_id = $1", case.id)
        await _insert_clocks(conn, [(case.id, case.clocks)])
    return [await _append(conn, event, by) for event in recorded]


async def _append(conn: asyncpg.Connection, event: happened.CaseEvent, by: str) -> int | None:
    match event:
        case happened.ActionTaken():
            await conn.execute(
                "INSERT INTO case_actions (case_id, action, taken_on, status, recorded_by)"
                " VALUES ($1, $2, $3, $4, $5)",
                event.case_id,
                event.action.value,
                event.taken_on,
                event.status.value,
                by,
            )
        case happened.CaseReferred():
            referral: int = await conn.fetchval(
                "INSERT INTO case_referrals (case_id, organisation, consent, consent_overridden,"
                " file_shared, override_reason, overridden_by, referred_by)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                event.case_id,
                event.to,
                event.consent,
                event.consent_overridden,
                event.file_shared,
                event.override_reason,
                event.overridden_by,
                by,
            )
            return referral
        case happened.CaseEscalated():
            await conn.execute(
                "INSERT INTO case_escalations (case_id, from_level, to_level, reason, note,"
                " alert_id, escalated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                event.case_id,
                event.from_level.value,
                event.to_level.value,
                event.reason.value,
                event.note,
                event.alert_id,
                by,
            )
            if event.alert_id is not None:
                await _alert_decided(conn, event.alert_id, event.case_id, "escalate")
        case happened.OverdueAlertIgnored():
            await _alert_decided(conn, event.alert_id, event.case_id, event.why)
    return None


async def _alert_decided(
    conn: asyncpg.Connection, alert_id: uuid.UUID, case_id: uuid.UUID, outcome: str
) -> None:
    await conn.execute(
        "INSERT INTO case_alerts (alert_id, case_id, outcome) VALUES ($1, $2, $3)",
        alert_id,
        case_id,
        outcome,
    )


# -- reads -----------------------------------------------------------------------------------------
_SUMMARY = (
    "id, area, category, level, status, verified, opened_on, due_on, due_clock,"
    " assignee_id IS NOT NULL AS assigned"
)


@dataclass(frozen=True)
class Filters:
    status: CaseStatus | None = None
    level: Level | None = None
    category: CaseCategory | None = None
    verified: bool | None = None
    assignee_subject: str | None = None  # only the cases assigned to this case worker


async def summaries(
    conn: asyncpg.Connection, area: str, filters: Filters, *, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Summary rows of the cases whose area is ``area`` or lies under it, newest first."""
    where, texts = within("area", area, 1)
    params: list[object] = list(texts)
    conditions = [where]
    for column, value in (
        ("status", filters.status),
        ("level", filters.level),
        ("category", filters.category),
        ("verified", filters.verified),
    ):
        if value is not None:
            params.append(_value(value))
            conditions.append(f"{column} = ${len(params)}")
    if filters.assignee_subject is not None:
        params.append(filters.assignee_subject)
        conditions.append(
            f"assignee_id = (SELECT id FROM case_workers WHERE subject = ${len(params)})"
        )
    params += [limit, offset]
    return list(
        await conn.fetch(
            f"SELECT {_SUMMARY} FROM cases WHERE {' AND '.join(conditions)}"
            f" ORDER BY opened_on DESC, id LIMIT ${len(params) - 1} OFFSET ${len(params)}",
            *params,
        )
    )


@dataclass(frozen=True)
class History:
    """What a case accumulated, for its file."""

    actions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    merged_reports: list[uuid.UUID]


async def history(conn: asyncpg.Connection, case_id: uuid.UUID) -> History:
    actions = await conn.fetch(
        "SELECT action, taken_on, status, recorded_at FROM case_actions WHERE case_id = $1"
        " ORDER BY id",
        case_id,
    )
    referrals = await conn.fetch(
        "SELECT organisation AS to, consent, consent_overridden, file_shared, override_reason,"
        " referred_at FROM case_referrals WHERE case_id = $1 ORDER BY id",
        case_id,
    )
    escalations = await conn.fetch(
        "SELECT from_level, to_level, reason, note, alert_id, escalated_at FROM case_escalations"
        " WHERE case_id = $1 ORDER BY id",
        case_id,
    )
    merged = await conn.fetch(
        "SELECT id FROM cases WHERE merged_into = $1 ORDER BY opened_on, id", case_id
    )
    return History(
        actions=[dict(r) for r in actions],
        referrals=[dict(r) for r in referrals],
        escalations=[dict(r) for r in escalations],
        merged_reports=[r["id"] for r in merged],
    )


# -- break the glass -------------------------------------------------------------------------------
async def add_grant(conn: asyncpg.Connection, grant: BreakGlassGrant) -> None:
    await conn.execute(
        "INSERT INTO break_glass_grants (id, case_id, subject, role, area, reason, granted_at,"
        " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        grant.id,
        grant.case_id,
        grant.subject,
        grant.role.value,
        grant.area,
        grant.reason,
        grant.granted_at,
        grant.expires_at,
    )


async def grants_of(
    conn: asyncpg.Connection, subject: str, case_id: uuid.UUID, now: datetime
) -> list[BreakGlassGrant]:
    """The holder's grants on the case that have not expired at ``now``."""
    rows = await conn.fetch(
        "SELECT id, case_id, subject, role, area, reason, granted_at, expires_at"
        " FROM break_glass_grants WHERE subject = $1 AND case_id = $2 AND expires_at > $3",
        subject,
        case_id,
        now,
    )
    return [
        BreakGlassGrant(
            id=r["id"],
            case_id=r["case_id"],
            subject=r["subject"],
            role=Role(r["role"]),
            area=r["area"],
            reason=r["reason"],
            granted_at=r["granted_at"],
            expires_at=r["expires_at"],
        )
        for r in rows
    ]
