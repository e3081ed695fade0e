"""Who may do what in the registry; where is checked against the record's village.

- Officers (village, regency, province) and the ministry register workers and record departures,
  returns and fees inside their jurisdiction; only the regency, the province and the ministry
  verify a registration (UU 18/2017: the regency verifies).
- Case workers and supervisors may read worker records inside their jurisdiction (they follow
  up cases), without the NIK. Monitors and operators never see personal records.
- The ministry licenses agencies and may suspend or revoke any; a province officer may suspend
  an agency seated in their province. Agency records are public facts: any signed-in role
  reads them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import Principal, Role, TokenError, read_token
from shared.settings import AuthSettings

OFFICERS = (Role.VILLAGE_OFFICER, Role.REGENCY_OFFICER, Role.PROVINCE_OFFICER, Role.MINISTRY)
VERIFIERS = (Role.REGENCY_OFFICER, Role.PROVINCE_OFFICER, Role.MINISTRY)
WORKER_READERS = (*OFFICERS, Role.CASE_WORKER, Role.SUPERVISOR)
AGENCY_LICENSERS = (Role.MINISTRY,)
AGENCY_SUSPENDERS = (Role.MINISTRY, Role.PROVINCE_OFFICER)
AGENCY_REVOKERS = (Role.MINISTRY,)


def sees_nik(principal: Principal) -> bool:
    """Officers identify people by NIK; case workers and supervisors do not need it."""
    return principal.role in OFFICERS


_bearer = HTTPBearer(auto_error=False)
# The token settings come from the environment; reading it on every request costs more than
# checking the token's signature.
_auth_settings = cache(AuthSettings)


async def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, or 401 (as ``shared.auth.current_principal``, but ``async``: no thread hop)."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>; see `pantau token`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return read_token(credentials.credentials, settings=_auth_settings())
    except TokenError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def roles(*allowed: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A FastAPI dependency: the caller, or 403 before anything else is looked at."""
    names = ", ".join(r.value for r in allowed)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.value} may not do this (allowed: {names})",
            )
        return principal

    return dependency


def principal_key(principal: Principal) -> str:
    """Idempotency keys are scoped to one caller: role, area and token subject."""
    return f"{principal.role.value}|{principal.area}|{principal.sub}"
