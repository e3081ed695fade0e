"""Who may do what in the registry; where is checked against the record's village.

- Officers (village, regency, province) and the ministry register workers and record departures,
  returns and fees inside their jurisdiction; only the regency, the province and the ministry
  verify a registration (UU 18/2017: the regency verifies).
- Case workers and supervisors may read worker records inside their jurisdiction (they follow
  up cases), without the NIK. Monitors and operators never see personal records.
- Officers record services delivered to workers and their families inside their jurisdiction:
  a village officer the village's own services (provider ``village``); the staff of a one-roof
  centre (LTSA, Migrant Resource Centre) hold an officer token of the centre's area (a regency,
  a province) and name the centre's kind (``ltsa``, ``mrc``); other officers record their
  office's (``regency_office``, ``province_office``, ``ministry``).
- The ministry licenses agencies and may suspend or revoke any; a province officer may suspend
  an agency seated in their province. Agency records are public facts: any signed-in role
  reads them.

Authentication itself (tokens, the 401/403/429 dependencies) is :mod:`shared.auth`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, roles
from shared.contract.codes import ServiceProvider

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


# The provider an officer records by default (their own office), and the others they may name.
OWN_PROVIDER = {
    Role.VILLAGE_OFFICER: ServiceProvider.VILLAGE,
    Role.REGENCY_OFFICER: ServiceProvider.REGENCY_OFFICE,
    Role.PROVINCE_OFFICER: ServiceProvider.PROVINCE_OFFICE,
    Role.MINISTRY: ServiceProvider.MINISTRY,
}
CENTRES = frozenset({ServiceProvider.LTSA, ServiceProvider.MRC})


def providers_of(role: Role) -> frozenset[ServiceProvider]:
    """Who an officer may record a service as delivered by: their own office, and (above the
    village) a one-roof centre of their area."""
    own = frozenset({OWN_PROVIDER[role]})
    return own if role is Role.VILLAGE_OFFICER else own | CENTRES


def sees_nik(principal: Principal) -> bool:
    """Officers identify people by NIK; case workers and supervisors do not need it."""
    return principal.role in OFFICERS
