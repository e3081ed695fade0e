"""Who may call which routes of the cases service (the first, coarse check: 403 before
anything else is looked at). What each may do to a given case is the domain's policy
(:mod:`services.cases.access.policy`), checked once the case is loaded.

- Officers (village, regency, province, ministry) open cases and triage reports in their
  jurisdiction; they change the cases handled within it.
- Case workers act on the cases assigned to them; supervisors oversee the cases of their area,
  keep the case workers' directory, and may override a survivor's refusal of referral.
- Monitors read case summaries (no case file); operators see no case at all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.cases.actors import OFFICERS
from shared.auth import Principal, Role, roles

_OFFICERS = tuple(sorted(OFFICERS))
Officer = Annotated[Principal, Depends(roles(*_OFFICERS))]
CaseReader = Annotated[
    Principal, Depends(roles(*_OFFICERS, Role.CASE_WORKER, Role.SUPERVISOR, Role.MONITOR))
]
CaseHandler = Annotated[Principal, Depends(roles(*_OFFICERS, Role.CASE_WORKER, Role.SUPERVISOR))]
GlassBreaker = Annotated[Principal, Depends(roles(Role.CASE_WORKER, Role.SUPERVISOR))]
Supervisor = Annotated[Principal, Depends(roles(Role.SUPERVISOR))]
DirectoryReader = Annotated[Principal, Depends(roles(*_OFFICERS, Role.SUPERVISOR))]
