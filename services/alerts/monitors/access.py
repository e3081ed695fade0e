"""Who may read alerts and who may act on them (docs/contract.md, alerts).

- **Act** (acknowledge, resolve): ``monitor``, within the monitor's area.
- **Read** (list, summary, live stream, the board): monitors, and the officers of every level
  (``village-officer``, ``regency-officer``, ``province-officer``, ``ministry``) and
  ``supervisor``s, each within their area: the alerts a level must act on are the ones its
  officers and supervisors need to see. Case workers and operators read none.

Every reader sees the alerts whose area lies in theirs (their area and everything under it):
a regency's monitor sees its regency's alerts and its villages', and nothing of another
regency or of the province above. Only monitors see who acknowledged or resolved an alert and
the resolving monitor's comment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, roles

READERS = (
    Role.MONITOR,
    Role.VILLAGE_OFFICER,
    Role.REGENCY_OFFICER,
    Role.PROVINCE_OFFICER,
    Role.MINISTRY,
    Role.SUPERVISOR,
)

Reader = Annotated[Principal, Depends(roles(*READERS))]
Monitor = Annotated[Principal, Depends(roles(Role.MONITOR))]


def is_monitor(principal: Principal) -> bool:
    return principal.role is Role.MONITOR
