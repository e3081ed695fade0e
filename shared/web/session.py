"""Signing in from a browser: the sign-in page and a session the browser keeps.

A session is the same signed, expiring token a bearer caller sends (:mod:`shared.auth`), kept by
the browser in the cookie :data:`~shared.auth.SESSION_COOKIE`:

- ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page makes the browser
  send it), ``Path=/``, no ``Domain`` (this host only), ``Secure`` outside development or over
  HTTPS, and ``Max-Age`` the token's lifetime (``PANTAU_TOKEN_TTL_SECONDS``);
- cookies belong to a host, not to a port: one sign-in on 127.0.0.1 serves every service there
  (all check tokens with ``PANTAU_TOKEN_SECRET``), as it does behind one host name in production;
- CSRF: besides SameSite=Strict, every unsafe request (POST, PUT, PATCH, DELETE) carried by the
  cookie must send the ``X-Pantau-CSRF`` header, which no other origin's page can add without the
  service's consent (no CORS is served). Signing in and out ask for it too.

Routes (every kit-built service, by :func:`shared.web.install`):

- ``GET /sign-in`` — the page (``?next=/path`` to come back to);
- ``GET /auth/session`` — who is signed in, 401 when nobody;
- ``POST /auth/session`` — development sign-in as any role and area (``PANTAU_DEV=1``; 403
  otherwise), limited per address (``limit_sign_in``);
- ``DELETE /auth/session`` — sign out (the cookie is cleared; the token itself stays valid until
  it expires, which is why it lives in an HttpOnly cookie and for hours, not days).

An identity provider plugs in by calling :func:`start_session` from its own callback route once it
has established who the person is and which role and area they hold (deploy/README.md).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from functools import cache
from importlib import resources

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import Match

from shared.areas import area_level, areas
from shared.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    SUBJECT,
    Credentials,
    Principal,
    Role,
    current_principal,
    issue_token,
    read_token,
    role_level,
)
from shared.contract.envelope import AREA_CODE
from shared.service.errors import COMMON_RESPONSES, FieldError, InvalidFields
from shared.service.limits import limited_by_address
from shared.service.pages import html_page
from shared.settings import AuthSettings, development_mode

router = APIRouter(tags=["session"])


class SignIn(BaseModel):
    """A development sign-in: any role at an area of its level."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    area: str = Field(pattern=AREA_CODE, description="an area code of the role's level")
    name: str | None = Field(
        default=None,
        pattern=rf"^{SUBJECT}$",
        description="who signs in, as audit entries name them (default role@area)",
    )


class SessionOut(BaseModel):
    """Who is signed in."""

    role: Role
    area: str
    area_name: str
    level: str
    name: str
    expires_at: datetime | None


def session_of(principal: Principal) -> SessionOut:
    index = areas()
    return SessionOut(
        role=principal.role,
        area=principal.area,
        area_name=index.name(principal.area) if principal.area in index else principal.area,
        level=area_level(principal.area),
        name=principal.sub,
        expires_at=(
            datetime.fromtimestamp(principal.expires_at, UTC) if principal.expires_at else None
        ),
    )


async def csrf_header(request: Request) -> None:
    """403 unless the request sends the ``X-Pantau-CSRF`` header (pages' ``Pantau.api`` does)."""
    if not request.headers.get(CSRF_HEADER):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"send the {CSRF_HEADER} header with this request"
        )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or not development_mode()


def start_session(response: Response, request: Request, principal: Principal) -> Principal:
    """Sign ``principal`` in: a fresh token in the session cookie of ``response``.

    The one way a session begins, for the development form and for an identity provider's
    callback alike; the caller has checked who the person is and that the role and area are
    theirs. Returns the principal as the token has it (with its expiry).
    """
    settings = AuthSettings()
    token = issue_token(principal.role.value, principal.area, settings=settings, sub=principal.sub)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_seconds,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return read_token(token, settings=settings)


def end_session(response: Response, request: Request) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )


def _checked(body: SignIn) -> Principal:
    """The principal ``body`` asks for, or 422 naming the field (never repeating it)."""
    if body.area not in areas():
        raise InvalidFields([FieldError("area", "no such area in the area list")])
    wanted = role_level(body.role)
    if wanted is not None and area_level(body.area) != wanted:
        raise InvalidFields(
            [FieldError("area", f"a {body.role.value} signs in at an area of level {wanted}")]
        )
    return Principal(body.role, body.area, body.name or f"{body.role.value}@{body.area}")


@router.get("/auth/session", responses=COMMON_RESPONSES)
async def current_session(request: Request, credentials: Credentials) -> SessionOut:
    """Who is signed in (by the session cookie, or a bearer token); 401 when nobody is."""
    if credentials is None and SESSION_COOKIE not in request.cookies:
        # Every page asks this on opening: a browser that holds no session at all is not
        # guessing tokens, so it spends nothing of its address's auth_failures budget.
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not signed in: sign in at /sign-in",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return session_of(await current_principal(request, credentials))


@router.post(
    "/auth/session",
    responses=COMMON_RESPONSES,
    dependencies=[Depends(csrf_header), Depends(limited_by_address("sign_in"))],
)
async def sign_in(body: SignIn, request: Request, response: Response) -> SessionOut:
    """Development only (`PANTAU_DEV=1`): sign in as any role at any area of its level; the
    answer sets the session cookie. Elsewhere 403: people sign in through the identity
    provider (deploy/README.md)."""
    if not development_mode():
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this sign-in is for development only; sign in through your organisation's "
            "identity provider",
        )
    signed_in = start_session(response, request, _checked(body))
    response.headers["Cache-Control"] = "no-store"
    return session_of(signed_in)


@router.delete("/auth/session", status_code=204, dependencies=[Depends(csrf_header)])
async def sign_out(request: Request) -> Response:
    """Sign out: the browser forgets the session cookie (204 whether or not it had one)."""
    response = Response(status_code=204)
    end_session(response, request)
    return response


@router.get("/sign-in", include_in_schema=False)
async def sign_in_page(request: Request) -> HTMLResponse:
    """The sign-in page: the development form, or a link to the identity provider."""
    return html_page(_page(development_mode(), AuthSettings().sign_in_url, _has_home(request.app)))


def _has_home(app: FastAPI) -> bool:
    """Whether the service has a page at ``/`` to go to after signing in."""
    scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


@cache
def _page(development: bool, provider: str | None, home: bool) -> str:
    template = resources.files("shared.web").joinpath("sign-in.html").read_text("utf-8")
    hidden = ' hidden="hidden"'
    roles = "\n".join(
        f'      <option value="{role.value}" data-level="{role_level(role) or ""}" '
        f'data-i18n="role.{role.value}">{role.value}</option>'
        for role in Role
    )
    values = {
        "{mode}": "development" if development else "identity-provider",
        "{home}": "/" if home else "",
        "{roles}": roles,
        "{dev_hidden}": "" if development else hidden,
        "{provider_hidden}": "" if provider and not development else hidden,
        "{unconfigured_hidden}": "" if not provider and not development else hidden,
        "{provider_url}": html.escape(provider or "/sign-in", quote=True),
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template
