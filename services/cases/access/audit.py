"""Audit records: every read of a case (what the reader could see), every change, every
break-the-glass grant and every consent override, with who and when. The service stores them
beside the case; they never leave it (docs/domain.md, data protection: every read of a personal
record and every change is audited).

Audit rows hold ids, roles and area codes only (:mod:`shared.service.audit`): the free text a
person stated for a grant or an override stays on the grant's row (``break_glass_grants``) or the
referral's (``case_referrals``), and the audit row names that row (``grant_id``,
``referral_id``). An audit export or a log shipper fed from ``audit_log`` carries no free text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
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
    grant_id: uuid.UUID | None = None  # the grant made, or the grant a read relied on
    referral_id: int | None = None  # the referral row of a consent override (with its reason)


def event_name(event: happened.CaseEvent) -> str:
    """The event's name as audit rows give it: ``CaseEscalated`` → ``case-escalated``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(event).__name__).lower()


def _record(
    actor: Actor,
    case_id: uuid.UUID,
    action: AuditAction,
    what: str,
    at: datetime,
    grant_id: uuid.UUID | None = None,
    referral_id: int | None = None,
) -> AuditRecord:
    return AuditRecord(
        at=at,
        actor=actor.sub,
        role=actor.role.value,
        actor_area=actor.area,
        case_id=case_id,
        action=action,
        what=what,
        grant_id=grant_id,
        referral_id=referral_id,
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
    actor: Actor,
    recorded: Sequence[happened.CaseEvent],
    at: datetime,
    rows: Sequence[int | None] = (),
) -> list[AuditRecord]:
    """One record per event a command recorded; a consent override names its referral's row
    (``rows``: the id of the row each event added, as ``repository.save`` returns them)."""
    out = []
    for n, event in enumerate(recorded):
        what = event_name(event)
        if isinstance(event, happened.CaseReferred) and event.consent_overridden:
            referral = rows[n] if n < len(rows) else None
            out.append(
                _record(
                    actor,
                    event.case_id,
                    AuditAction.CONSENT_OVERRIDE,
                    what,
                    at,
                    referral_id=referral,
                )
            )
        else:
            out.append(_record(actor, event.case_id, AuditAction.CHANGE, what, at))
    return out


def break_glass(actor: Actor, grant: BreakGlassGrant) -> AuditRecord:
    """A grant made: its id and expiry (its reason stays on the grant's row)."""
    until = f"file until {grant.expires_at.isoformat()}"
    return _record(
        actor, grant.case_id, AuditAction.BREAK_GLASS, until, grant.granted_at, grant_id=grant.id
    )
