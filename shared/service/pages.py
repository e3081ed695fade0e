"""HTML pages a service serves (the reporting dashboard, the alerts board), with a strict CSP.

:func:`html_page` answers a self-contained page with a ``Content-Security-Policy`` that allows
exactly its own inline ``<script>`` and ``<style>`` blocks (by their SHA-256 hashes) and requests
to its own origin, nothing else: no framing (``frame-ancestors 'none'``), no other origin, no
injected script. The kit's middleware adds the other security headers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from fastapi.responses import HTMLResponse

_NONE = "'none'"
_BLOCK = re.compile(r"<(script|style)(?:\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@cache
def content_security_policy(page: str) -> str:
    """The CSP of ``page``: its inline scripts and styles by hash, fetches to itself only."""
    scripts = [_hash(body) for kind, body in _BLOCK.findall(page) if kind.lower() == "script"]
    styles = [_hash(body) for kind, body in _BLOCK.findall(page) if kind.lower() == "style"]
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(scripts) or _NONE}",
            f"style-src {' '.join(styles) or _NONE}",
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
