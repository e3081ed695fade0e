"""``/static/``: the files every page may load, from ``shared/web/static/``, with cache headers.

- ``/static/vendor/<name>-<version>/…`` — a library pinned from npm (``vendor/manifest.json``
  names each file's package, version and SHA-256): the version is part of the URL, so these are
  cached for a year and never revalidated (``immutable``);
- everything else (``pantau.css``, ``pantau.js``, ``sign-in.js``, the manifest, a service's
  own ``/static/<service>/…``) keeps its URL when it changes: browsers revalidate it on use
  (``no-cache``; a 304 when unchanged).

Pages name these files literally (``<script src="/static/pantau.js">``); the page's
Content-Security-Policy allows scripts and styles from its own origin
(:mod:`shared.service.pages`).
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_PATH = "/static"
STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class StaticAssets(StaticFiles):
    """Starlette's static files (from :data:`STATIC_DIR` unless told), with ``Cache-Control``
    by kind. ``serve_html=False`` refuses HTML files (404): a service's pages are answered by
    its routes, with their Content-Security-Policy, never as plain files."""

    def __init__(self, directory: Path = STATIC_DIR, *, serve_html: bool = True) -> None:
        super().__init__(directory=directory)
        self.serve_html = serve_html

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not self.serve_html and path.lower().endswith((".html", ".htm")):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            versioned = path.startswith("vendor/") and not path.endswith("manifest.json")
            response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
        return response
