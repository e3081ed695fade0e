"""Who is running and for which request: the service's name and the request's correlation id.

Both live in context variables. The app builder binds them for every request (the middleware)
and for everything started in the service's lifespan (relay, consumers, background tasks); code
running outside an app binds the service with :func:`service_context`.

**Correlation ids are made by the server, never taken from the caller.** A caller's
``X-Request-ID`` (or ``X-Correlation-ID``) is free text: it went into logs and onto topics
verbatim, and a NIK went with it. Now the correlation id is a keyed digest of that text
(HMAC-SHA256 under a key derived from the token secret, 32 hex digits), so the same request id
sent again — a retry, or the same gateway id at another service — gives the same correlation
id, while nobody without the secret can tell what was sent. Without a request id the server
makes a random one. Either way it is returned as ``X-Correlation-ID``; the caller's own header
is never sent back, logged or stored.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache

from shared.settings import AuthSettings

_SERVICE: ContextVar[str | None] = ContextVar("pantau_service", default=None)
_CORRELATION_ID: ContextVar[str | None] = ContextVar("pantau_correlation_id", default=None)

INCOMING_HEADERS = (b"x-request-id", b"x-correlation-id")
OUTGOING_HEADER = b"x-correlation-id"
# Longer request ids are cut before digesting: a digest of 8 KiB proves nothing more.
_MAX_REQUEST_ID = 1024


class NoServiceContext(RuntimeError):
    """Service code ran outside a request, a lifespan or :func:`service_context`."""


def current_service() -> str:
    """The name of the running service (``ServiceSettings.service``), e.g. ``registry``."""
    name = _SERVICE.get()
    if name is None:
        raise NoServiceContext(
            "no service is bound here: run inside the app (a request, a consumer, a background "
            "task) or within shared.service.context.service_context(name)"
        )
    return name


def current_correlation_id() -> str | None:
    """The correlation id of the request being served (None outside a request)."""
    return _CORRELATION_ID.get()


@contextmanager
def service_context(service: str, correlation_id: str | None = None) -> Iterator[None]:
    """Bind the service (and optionally a correlation id) for the block and the tasks it starts."""
    service_token = _SERVICE.set(service)
    correlation_token = _CORRELATION_ID.set(correlation_id)
    try:
        yield
    finally:
        _restore(_CORRELATION_ID, correlation_token)
        _restore(_SERVICE, service_token)


def _restore(variable: ContextVar[str | None], token: Token[str | None]) -> None:
    try:
        variable.reset(token)
    except ValueError:  # left in another task than it was entered (a test's fixture)
        variable.set(token.old_value if token.old_value is not Token.MISSING else None)


@cache
def _key(token_secret: str) -> bytes:
    return hmac.new(token_secret.encode(), b"pantau correlation id v1", hashlib.sha256).digest()


_auth_settings = cache(AuthSettings)


def correlation_id_for(request_id: bytes | None, *, secret: str | None = None) -> str:
    """The correlation id of a request: a keyed digest of the caller's request id, or random."""
    if not request_id:
        return uuid.uuid4().hex
    key = _key(secret if secret is not None else _auth_settings().token_secret)
    return hmac.new(key, request_id[:_MAX_REQUEST_ID], hashlib.sha256).hexdigest()[:32]


def request_id_of(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The caller's request id header, raw (``X-Request-ID`` first, else ``X-Correlation-ID``)."""
    found = None
    for name, value in headers:
        if name in INCOMING_HEADERS:
            if name == INCOMING_HEADERS[0]:
                return value.strip() or None
            found = value.strip() or None
    return found


@contextmanager
def bound_correlation_id(correlation_id: str | None) -> Iterator[None]:
    token = _CORRELATION_ID.set(correlation_id)
    try:
        yield
    finally:
        _CORRELATION_ID.reset(token)
