"""The correlation id of the request being served, taken from the caller or made up.

A client (or a gateway) may send ``X-Request-ID`` or ``X-Correlation-ID``; the registry keeps it
when it is a reasonable token, otherwise makes a fresh one, binds it to every log line of the
request, writes it into the events and the audit trail, and returns it as ``X-Correlation-ID``
(and ``X-Request-ID``).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CORRELATION_ID: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_INCOMING = (b"x-correlation-id", b"x-request-id")
# Anything else is replaced: the value goes into logs and events, so it must be inert.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def current_correlation_id() -> str | None:
    return _CORRELATION_ID.get()


def _pick(headers: list[tuple[bytes, bytes]]) -> str:
    found = dict(headers)
    for name in _INCOMING:
        raw = found.get(name)
        if raw is not None:
            value = raw.decode("latin-1").strip()
            if _ACCEPTABLE.match(value):
                return value
    return str(uuid.uuid4())


class CorrelationIdMiddleware:
    """Pure ASGI middleware (no response buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = _pick(scope.get("headers", []))
        encoded = correlation_id.encode()

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-correlation-id", encoded), (b"x-request-id", encoded)]
                message["headers"] = headers
            await send(message)

        token = _CORRELATION_ID.set(correlation_id)
        try:
            with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
                await self.app(scope, receive, send_with_header)
        finally:
            _CORRELATION_ID.reset(token)
