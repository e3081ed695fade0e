"""The one ASGI middleware every service runs: context, headers, access log, last-resort 500.

Per HTTP request it
- binds the service's name and the request's correlation id (:mod:`shared.service.context`)
  to the request's code and log lines, and returns the id as ``X-Correlation-ID``;
- adds the security headers (:data:`SECURITY_HEADERS`; a page sets its own
  ``Content-Security-Policy`` with :func:`shared.service.pages.html_page`);
- writes one access-log line: method, the matched route's *template* (never the raw path or the
  query string, which may carry anything), status and duration — uvicorn's own access log, which
  prints the raw request line, is switched off by the app builder;
- answers an unexpected exception with a 500 naming only the correlation id, logging the
  exception's type and place but never its message (messages can carry values).

Pure ASGI (no response buffering), one layer for all of it: it runs on every request.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import get_logger
from shared.service import context
from shared.service.errors import where

log = get_logger("pantau.access")

# Served with every response; a page overrides the CSP with one that allows its own scripts.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_CSP = b"content-security-policy"
# FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with inline start-up code.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_SERVER_ERROR_BODY = b'{"detail":"internal error","correlation_id":"%s"}'


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, access_log: bool = True) -> None:
        self.app = app
        self.service = service
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            with context.service_context(self.service):
                await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        correlation_id = context.correlation_id_for(context.request_id_of(scope["headers"]))
        csp = (DOCS_CSP if scope["path"] in DOCS_PATHS else API_CSP).encode()
        extra = [(context.OUTGOING_HEADER, correlation_id.encode()), *SECURITY_HEADERS]
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(name == _CSP for name, _ in headers):
                    headers.append((_CSP, csp))
                headers.extend(extra)
                message["headers"] = headers
            await send(message)

        with context.service_context(self.service, correlation_id):
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as exc:
                log.error(
                    "unhandled error",
                    error=type(exc).__name__,
                    at=where(exc),
                    method=scope.get("method"),
                    route=_route(scope),
                )
                if response_started:
                    raise
                await _server_error(send_with_headers, correlation_id)
            finally:
                if self.access_log:
                    log.info(
                        "request",
                        method=scope.get("method"),
                        route=_route(scope),
                        status=status,
                        ms=round((time.perf_counter() - started) * 1000, 1),
                    )


def _route(scope: Scope) -> str:
    route = scope.get("route")
    if route is None and str(scope.get("path", "")).startswith("/static/"):
        return "/static/{path}"  # the pages' files (shared.web), served by a mount, not a route
    return str(getattr(route, "path", "(no route)"))


async def _server_error(send: Send, correlation_id: str) -> None:
    body = _SERVER_ERROR_BODY % correlation_id.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
