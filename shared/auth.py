"""Bearer tokens (role + area, signed, expiring), the caller of a request, and the checks.

A token is a JWT (HS256) with ``role``, ``area``, ``sub`` and ``exp``. A caller of area X may act
on X and everything under it (``ID`` is the whole country). This is the one way every service
authenticates:

- :data:`CurrentPrincipal` (any signed-in role) and :func:`roles` (some roles; 403 otherwise)
  are FastAPI dependencies; a missing or bad token is 401, and an address that sent too many
  bad ones is 429 (the ``auth_failures`` rate limit, :mod:`shared.service.limits`);
- verified tokens are remembered until they expire (:func:`principal_of`): a caller sends the
  same token for hours, and the signature check costs more than most requests;
- :func:`require_area` / :func:`require_role` answer 403 inside a use case;
  :func:`within_jurisdiction` is the area a read asks for (default: all of the caller's).

A page's caller is signed in by a session instead (:mod:`shared.web.session`): the same kind of
token in the HttpOnly cookie :data:`SESSION_COOKIE`, read when no ``Authorization`` header is
sent. A request carried by that cookie with an unsafe method (POST, PUT, PATCH, DELETE) must also
send the :data:`CSRF_HEADER` header (403 otherwise): another site's form or script cannot send
one without the service's consent, and no service gives it (no CORS).

Token claims are checked strictly (a known role at the right area level, a printable subject
of at most 128 characters) and refusals never repeat a claim's value.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.addresses import client_address
from shared.areas import NATION, area_level, is_within
from shared.areas.hierarchy import AreaLevel
from shared.contract.envelope import AREA_CODE
from shared.settings import AuthSettings

_ALGORITHM = "HS256"
# A subject names the caller in audit rows and idempotency keys: printable ASCII, bounded.
SUBJECT = r"[\x21-\x7e]{1,128}"
_SUBJECT = re.compile(SUBJECT)


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
_ROLE_LEVEL: dict[Role, AreaLevel] = {
    Role.VILLAGE_OFFICER: "village",
    Role.REGENCY_OFFICER: "regency",
    Role.PROVINCE_OFFICER: "province",
    Role.MINISTRY: "national",
}


# The session cookie a page's caller is signed in with, and the header its unsafe requests send.
SESSION_COOKIE = "pantau_session"
CSRF_HEADER = "X-Pantau-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def role_level(role: Role) -> AreaLevel | None:
    """The area level ``role`` must hold (``village`` for a village officer …), or None when it
    may hold an area of any level."""
    return _ROLE_LEVEL.get(role)


class TokenError(ValueError):
    """The token is missing, malformed, expired, or names an impossible role or area."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, a jurisdiction area and the token's subject (and when the
    token expires, in seconds since the epoch, when known)."""

    role: Role
    area: str
    sub: str = "anonymous"
    expires_at: float | None = field(default=None, compare=False)

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
    principal = _checked(role, area, sub or f"{role}@{area}", echo=True)
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
    principal = _checked(claims.get("role", ""), claims.get("area", ""), claims.get("sub", ""))
    return replace(principal, expires_at=float(claims["exp"]))


def _checked(role: object, area: object, sub: object, *, echo: bool = False) -> Principal:
    """The principal of these claims, or :class:`TokenError`. Only ``echo`` (the person minting
    a token) is told the value at fault; a bearer token's claims are never repeated."""

    def shown(value: object) -> str:
        return f" {value!r}" if echo else ""

    if not isinstance(role, str) or role not in _ROLES:
        raise TokenError(f"unknown role{shown(role)}; one of: {', '.join(r.value for r in Role)}")
    parsed = Role(role)
    if not isinstance(area, str) or not re.fullmatch(AREA_CODE, area):
        raise TokenError(f"invalid area code{shown(area)} (e.g. 53.71, or ID for the nation)")
    wanted = _ROLE_LEVEL.get(parsed)
    if wanted is not None and area_level(area) != wanted:
        raise TokenError(
            f"a {parsed.value} token needs a {wanted} area" + (f", not {area!r}" if echo else "")
        )
    if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
        raise TokenError("invalid subject: 1-128 visible ASCII characters")
    return Principal(role=parsed, area=area if area != "id" else NATION, sub=sub)


_ROLES = frozenset(r.value for r in Role)
# The token settings come from the environment; reading it on every request costs more than
# checking the token's signature.
_auth_settings = cache(AuthSettings)
# Tokens already verified, until they expire.
_verified: dict[str, tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def principal_of(token: str) -> Principal:
    """:func:`read_token` under the environment's settings, remembering each verified token
    until it expires.

    Only the exact token string that passed the check is remembered; an expired one is checked
    again (and refused as expired), a bad one is never remembered.
    """
    known = _verified.get(token)
    if known is not None and time.time() < known[1]:
        return known[0]
    principal = read_token(token, settings=_auth_settings())
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (principal, principal.expires_at or 0.0)
    return principal


def principal_key(principal: Principal) -> str:
    """One caller as a key (idempotency keys, rate limits): role, area and token subject."""
    return f"{principal.role.value}|{principal.area}|{principal.sub}"


_bearer = HTTPBearer(auto_error=False)
_FAILURES = "auth_failures"
_TOO_MANY = "too many requests without a valid token from your address; retry later"


def _refused(request: Request, message: str) -> HTTPException:
    """401, after spending one from the address's ``auth_failures`` budget (429 once spent)."""
    limits = getattr(request.app.state, "limits", None)
    if limits is not None:
        limits.spend(_FAILURES, _address(request), _TOO_MANY)
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )


def _address(request: Request) -> str:
    return f"address:{client_address(request)}"


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The bearer token, else the session cookie's (403 for an unsafe request it carries
    without :data:`CSRF_HEADER`); 401 when there is neither."""
    if credentials is not None:
        return credentials.credentials
    session = request.cookies.get(SESSION_COOKIE)
    if session is None:
        raise _refused(
            request,
            "not signed in: sign in at /sign-in, or send Authorization: Bearer <token> "
            "(see `pantau token`)",
        )
    if request.method not in SAFE_METHODS and not request.headers.get(CSRF_HEADER):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"a request signed in by the session cookie must send the {CSRF_HEADER} header "
            "(the pages' Pantau.api does)",
        )
    return session


async def current_principal(request: Request, credentials: Credentials) -> Principal:
    """FastAPI dependency: the caller, by bearer token or session cookie, or 401 with a clear
    message (429 for an address that sent too many requests without a valid token)."""
    token = _token_of(request, credentials)
    known = _verified.get(token)
    if known is not None and time.time() < known[1]:
        return known[0]
    limits = getattr(request.app.state, "limits", None)
    if limits is not None:
        limits.check(_FAILURES, _address(request), _TOO_MANY)
    try:
        return principal_of(token)
    except TokenError as exc:
        raise _refused(request, str(exc)) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def roles(*allowed: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the caller (401 without a valid token), or 403 unless it holds
    one of ``allowed`` — checked before anything else of the request is looked at."""
    names = ", ".join(r.value for r in allowed)

    # One level deep (the bearer credentials and the request, no nested dependency): it runs
    # on every request, and each level of FastAPI's dependency resolution costs.
    async def dependency(request: Request, credentials: Credentials) -> Principal:
        principal = await current_principal(request, credentials)
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.value} may not do this (allowed: {names})",
            )
        return principal

    return dependency


def require_area(principal: Principal, area: str) -> None:
    """403 unless ``area`` lies within the caller's jurisdiction."""
    if not principal.covers(area):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            # Only the caller's own area is named, as theirs: never the one requested.
            f"that area is outside your jurisdiction (yours: {principal.area})",
        )


def within_jurisdiction(principal: Principal, area: str | None) -> str:
    """The area a read asks for, by default the caller's whole jurisdiction; 403 outside it."""
    within = area or principal.area
    require_area(principal, within)
    return within


def require_role(principal: Principal, *roles: Role) -> None:
    """403 unless the caller holds one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"role {principal.role.value} may not do this ({allowed})"
        )
