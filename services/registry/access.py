"""Who may do what in the registry; where is checked against the record's village.

- Officers (village, regency, province) and the ministry register workers and record departures,
  returns and fees inside their jurisdiction; only the regency, the province and the ministry
  verify a registration (UU 18/2017: the regency verifies).
- Case workers and supervisors may read worker records inside their jurisdiction (they follow
  up cases), without the NIK. Monitors and operators never see personal records.
- The ministry licenses agencies and may suspend or revoke any; a province officer may suspend
  an agency seated in their province. Agency records are public facts: any signed-in role
  reads them.

Authentication itself (tokens, the 401/403/429 dependencies) is :mod:`shared.auth`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, roles

OFFICERS = (Role.VILLAGE_OFFICER, Role.REGENCY_OFFICER, Role.PROVINCE_OFFICER, Role.MINISTRY)
VERIFIERS = (Role.REGENCY_OFFICER, Role.PROVINCE_OFFICER, Role.MINISTRY)
WORKER_READERS = (*OFFICERS, Role.CASE_WORKER, Role.SUPERVISOR)
AGENCY_LICENSERS = (Role.MINISTRY,)
AGENCY_SUSPENDERS = (Role.MINISTRY, Role.PROVINCE_OFFICER)
AGENCY_REVOKERS = (Role.MINISTRY,)

Officer = Annotated[Principal, Depends(roles(*OFFICERS))]
Verifier = Annotated[Principal, Depends(roles(*VERIFIERS))]
WorkerReader = Annotated[Principal, Depends(roles(*WORKER_READERS))]
Licenser = Annotated[Principal, Depends(roles(*AGENCY_LICENSERS))]
Suspender = Annotated[Principal, Depends(roles(*AGENCY_SUSPENDERS))]
Revoker = Annotated[Principal, Depends(roles(*AGENCY_REVOKERS))]


def sees_nik(principal: Principal) -> bool:
    """Officers identify people by NIK; case workers and supervisors do not need it."""
    return principal.role in OFFICERS
