"""HTML pages a service serves (the reporting dashboard, the alerts board), with a strict CSP.

:func:`html_page` answers a page with a ``Content-Security-Policy`` that allows scripts and
styles from the service's own origin (the foundation's files under ``/static/``, see
:mod:`shared.web`), its own inline ``<script>`` and ``<style>`` blocks (by their SHA-256 hashes)
and requests to its own origin, nothing else: no inline event handlers or ``style`` attributes,
no ``eval``, no framing (``frame-ancestors 'none'``), no other origin, no form posted anywhere.
The kit's middleware adds the other security headers.

``'self'`` cannot name a path, so it also covers the service's other URLs; none of them can act
as a script or style sheet: they answer JSON or CSV, and ``X-Content-Type-Options: nosniff``
makes browsers refuse to run or apply a response of another type.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from fastapi.responses import HTMLResponse

_SELF = "'self'"
_BLOCK = re.compile(r"<(script|style)(?:\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@cache
def content_security_policy(page: str) -> str:
    """The CSP of ``page``: scripts and styles from its origin or inline by hash, fetches to
    itself only."""
    blocks = [(kind.lower(), body) for kind, body in _BLOCK.findall(page) if body.strip()]
    scripts = [_hash(body) for kind, body in blocks if kind == "script"]
    styles = [_hash(body) for kind, body in blocks if kind == "style"]
    return "; ".join(
        [
            "default-src 'none'",
            " ".join(["script-src", _SELF, *scripts]),
            " ".join(["style-src", _SELF, *styles]),
            "connect-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def html_page(page: str) -> HTMLResponse:
    """``page`` with its own Content-Security-Policy (see the module docstring)."""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": content_security_policy(page),
            "Cache-Control": "no-store",
        },
    )
