"""Break the glass: a case worker or a supervisor who does not see a case file by right may open
it for a stated reason, for 3 hours, and the grant is audited (DHIS2's practice; docs/domain.md,
data protection). Typical: a survivor turns up in another regency and needs help tonight.

A grant reaches only cases within the caller's province (:func:`reach_of`; a ministry-level
caller, area ``ID``, reaches every case), as DHIS2 bounds break-the-glass by the user's search
org units: the glass opens on a neighbour's file, not on any file in the country. The HTTP
layer answers a case out of reach exactly as an unknown case id (404), and limits how many
grants a caller may make (``CASES_LIMIT_BREAK_GLASS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.cases.access.scope import sees_file_by_right
from services.cases.actors import Actor
from services.cases.cases.model import Case
from services.cases.errors import InvalidField, NotPermitted, RuleViolation
from services.cases.validation import NOTE_MAX, REASON_MIN, bounded_text
from shared.areas import NATION, is_within
from shared.auth import Role

GRANT_DURATION = timedelta(hours=3)
MAY_BREAK_THE_GLASS = frozenset({Role.CASE_WORKER, Role.SUPERVISOR})


def reach_of(area: str) -> str:
    """The area whose cases a caller of ``area`` may break the glass on: its province, or the
    nation for a ministry-level caller."""
    return area if area == NATION else area.split(".", 1)[0]


def within_reach(actor: Actor, case: Case) -> bool:
    """Whether ``case`` lies in the province of ``actor``'s area (anywhere for ``ID``)."""
    return is_within(case.area, reach_of(actor.area))


@dataclass(frozen=True)
class BreakGlassGrant:
    """One actor's temporary access to one case file; the reason stays in the service."""

    id: uuid.UUID
    case_id: uuid.UUID
    subject: str
    role: Role
    area: str
    reason: str
    granted_at: datetime
    expires_at: datetime

    def opens(self, actor: Actor, case_id: uuid.UUID, now: datetime) -> bool:
        """Whether this grant lets ``actor`` read case ``case_id`` at ``now``."""
        return (
            self.case_id == case_id
            and self.subject == actor.sub
            and self.role is actor.role
            and self.granted_at <= now < self.expires_at
        )


def break_the_glass(
    actor: Actor,
    case: Case,
    reason: str,
    now: datetime,
    grant_id: uuid.UUID,
    duration: timedelta = GRANT_DURATION,
) -> BreakGlassGrant:
    """Grant ``actor`` the case file of ``case`` until ``now`` + ``duration`` (3 hours)."""
    if actor.role not in MAY_BREAK_THE_GLASS:
        raise NotPermitted("only case workers and supervisors may break the glass")
    if not within_reach(actor, case):
        raise NotPermitted("break the glass reaches only the cases of your province")
    if now.tzinfo is None:
        raise InvalidField("now", "must carry a time zone")
    stated = bounded_text("reason", reason, NOTE_MAX, REASON_MIN)
    if sees_file_by_right(actor, case):
        raise RuleViolation("you already see this case file; no need to break the glass")
    return BreakGlassGrant(
        id=grant_id,
        case_id=case.id,
        subject=actor.sub,
        role=actor.role,
        area=actor.area,
        reason=stated,
        granted_at=now,
        expires_at=now + duration,
    )
