"""Bearer tokens (role + area, signed, expiring) and the jurisdiction check.

A token is a JWT (HS256) with ``role``, ``area`` and ``exp``. A caller of area X may act on X and
everything under it (``ID`` is the whole country). FastAPI dependencies turn a missing or bad token
into 401 and an out-of-scope request into 403.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.areas import NATION, area_level, is_within
from shared.contract.envelope import AREA_CODE
from shared.settings import AuthSettings

_ALGORITHM = "HS256"


class Role(StrEnum):
    VILLAGE_OFFICER = "village-officer"
    REGENCY_OFFICER = "regency-officer"
    PROVINCE_OFFICER = "province-officer"
    MINISTRY = "ministry"
    CASE_WORKER = "case-worker"
    SUPERVISOR = "supervisor"
    MONITOR = "monitor"
    OPERATOR = "operator"


# The area level each officer role must be scoped to (others may hold any area).
_ROLE_LEVEL = {
    Role.VILLAGE_OFFICER: "village",
    Role.REGENCY_OFFICER: "regency",
    Role.PROVINCE_OFFICER: "province",
    Role.MINISTRY: "national",
}


class TokenError(ValueError):
    """The token is missing, malformed, expired, or names an impossible role or area."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, a jurisdiction area and the token's subject."""

    role: Role
    area: str
    sub: str = "anonymous"

    def covers(self, area: str) -> bool:
        return is_within(area, self.area)


def issue_token(
    role: str,
    area: str,
    *,
    settings: AuthSettings | None = None,
    sub: str | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """Sign a token for ``role`` at ``area``; raise :class:`TokenError` on a bad pair."""
    settings = settings or AuthSettings()
    principal = _checked(role, area, sub or f"{role}@{area}")
    now = int(time.time())
    claims = {
        "sub": principal.sub,
        "role": str(principal.role),
        "area": principal.area,
        "iat": now,
        "exp": now + (ttl_seconds or settings.token_ttl_seconds),
    }
    return jwt.encode(claims, settings.token_secret, algorithm=_ALGORITHM)


def read_token(token: str, *, settings: AuthSettings | None = None) -> Principal:
    settings = settings or AuthSettings()
    try:
        claims = jwt.decode(
            token, settings.token_secret, algorithms=[_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    return _checked(claims.get("role", ""), claims.get("area", ""), claims.get("sub", ""))


def _checked(role: str, area: str, sub: str) -> Principal:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise TokenError(
            f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}"
        ) from exc
    if not isinstance(area, str) or not re.match(AREA_CODE, area):
        raise TokenError(f"invalid area code {area!r}")
    wanted = _ROLE_LEVEL.get(parsed)
    if wanted is not None and area_level(area) != wanted:
        raise TokenError(f"a {parsed.value} token needs a {wanted} area, not {area!r}")
    return Principal(role=parsed, area=area if area != "id" else NATION, sub=sub)


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller, or 401 with a clear message."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>; see `pantau token`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return read_token(credentials.credentials)
    except TokenError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_area(principal: Principal, area: str) -> None:
    """403 unless ``area`` lies within the caller's jurisdiction."""
    if not principal.covers(area):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"area {area} is outside your jurisdiction ({principal.area})",
        )


def require_role(principal: Principal, *roles: Role) -> None:
    """403 unless the caller holds one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"role {principal.role.value} may not do this ({allowed})"
        )
