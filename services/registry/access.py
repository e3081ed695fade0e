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

import base64
import json
import time
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
# Tokens already verified, until they expire: a caller sends the same token for hours, and the
# signature check costs more than everything else a registration asks of this process.
_verified: dict[str, tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def _expiry(token: str) -> float:
    """The ``exp`` claim of a token whose signature was checked (so its payload is sound)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


def principal_of(token: str) -> Principal:
    """``shared.auth.read_token``, remembering each verified token until it expires.

    Only the exact token string that passed the check is remembered; an expired one is checked
    again (and refused as expired), a bad one is never remembered.
    """
    known = _verified.get(token)
    if known is not None and time.time() < known[1]:
        return known[0]
    principal = read_token(token, settings=_auth_settings())
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (principal, _expiry(token))
    return principal


def _caller(credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller, or 401 (as ``shared.auth.current_principal``)."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>; see `pantau token`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return principal_of(credentials.credentials)
    except TokenError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def roles(*allowed: Role) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[Principal]]:
    """A FastAPI dependency: the caller (401 without a valid token), or 403 before anything
    else is looked at. ``async`` and one level deep: it runs on every request."""
    names = ", ".join(r.value for r in allowed)

    async def dependency(credentials: Credentials) -> Principal:
        principal = _caller(credentials)
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
