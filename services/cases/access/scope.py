"""Jurisdiction and the roles that see a case file by right (see :mod:`.policy`)."""

from __future__ import annotations

from services.cases.actors import OFFICERS, Actor
from services.cases.cases.model import Case
from shared.areas import is_within
from shared.auth import Role


def in_jurisdiction(actor: Actor, case: Case) -> bool:
    """The actor's area contains the case's area (as for the registry's records)."""
    return is_within(case.area, actor.area)


def covers_handling_area(actor: Actor, case: Case) -> bool:
    """The actor's area contains the area of the office handling the case at its level."""
    return is_within(case.handling_area, actor.area)


def sees_file_by_right(actor: Actor, case: Case) -> bool:
    """The assigned case worker, supervisors of the jurisdiction, and the officers who triage
    an unverified report (their area contains its handling area)."""
    if actor.role is Role.CASE_WORKER:
        return case.is_assigned_to(actor.sub)
    if actor.role is Role.SUPERVISOR:
        return in_jurisdiction(actor, case)
    if actor.role in OFFICERS:
        return not case.verified and covers_handling_area(actor, case)
    return False
