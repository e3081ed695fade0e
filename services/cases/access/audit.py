"""Audit records: every read of a case (what the reader could see), every change, every
break-the-glass grant and every consent override, with who, when and — for those two — the
stated reason. The service stores them beside the case; they never leave it (docs/domain.md,
data protection: every read of a personal record and every change is audited).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.cases.access.break_glass import BreakGlassGrant
from services.cases.access.policy import Visibility
from services.cases.actors import Actor
from services.cases.cases import events as happened


class AuditAction(StrEnum):
    READ = "read"
    CHANGE = "change"
    BREAK_GLASS = "break_glass"
    CONSENT_OVERRIDE = "consent_override"


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    at: datetime
    actor: str  # the token subject
    role: str
    actor_area: str
    case_id: uuid.UUID
    action: AuditAction
    what: str  # for a read, what was seen (none / summary / file); else the change
    reason: str | None = None  # stated reason of a grant or an override
    grant_id: uuid.UUID | None = None  # the grant a read relied on


def event_name(event: happened.CaseEvent) -> str:
    """The event's name as audit rows give it: ``CaseEscalated`` → ``case-escalated``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(event).__name__).lower()


def _record(
    actor: Actor,
    case_id: uuid.UUID,
    action: AuditAction,
    what: str,
    at: datetime,
    reason: str | None = None,
    grant_id: uuid.UUID | None = None,
) -> AuditRecord:
    return AuditRecord(
        at=at,
        actor=actor.sub,
        role=actor.role.value,
        actor_area=actor.area,
        case_id=case_id,
        action=action,
        what=what,
        reason=reason,
        grant_id=grant_id,
    )


def read(
    actor: Actor,
    case_id: uuid.UUID,
    seen: Visibility,
    at: datetime,
    grant: BreakGlassGrant | None = None,
) -> AuditRecord:
    """A read of a case (also one refused: ``seen`` is none)."""
    return _record(
        actor, case_id, AuditAction.READ, seen.value, at, grant_id=grant.id if grant else None
    )


def changes(
    actor: Actor, recorded: Iterable[happened.CaseEvent], at: datetime
) -> list[AuditRecord]:
    """One record per event a command recorded; a consent override with its reason."""
    out = []
    for event in recorded:
        what = event_name(event)
        if isinstance(event, happened.CaseReferred) and event.consent_overridden:
            action, reason = AuditAction.CONSENT_OVERRIDE, event.override_reason
        else:
            action, reason = AuditAction.CHANGE, None
        out.append(_record(actor, event.case_id, action, what, at, reason))
    return out


def break_glass(actor: Actor, grant: BreakGlassGrant) -> AuditRecord:
    until = f"file until {grant.expires_at.isoformat()}"
    return _record(
        actor,
        grant.case_id,
        AuditAction.BREAK_GLASS,
        until,
        grant.granted_at,
        grant.reason,
        grant.id,
    )
