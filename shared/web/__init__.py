"""The front-end foundation every service's pages stand on (docs/frontend.md).

- :mod:`shared.web.assets` — ``/static/``: Pantau's own CSS and JavaScript (``pantau.css``,
  ``pantau.js``: layout, sign-in redirects, the CSRF header, Bahasa Indonesia and English,
  Indonesian number and date formats) and the libraries pinned from npm (``vendor/``, refreshed
  by ``scripts/vendor-frontend``), served with cache headers;
- :mod:`shared.web.session` — the sign-in page ``/sign-in`` and the browser's session (an
  HttpOnly cookie holding a signed, expiring token; ``/auth/session``), and
  :func:`~shared.web.session.start_session` for an identity provider's callback;
- :mod:`shared.web.areas` — ``/auth/areas``: areas found by name, for the sign-in page;
- a service's own page files (``services/<service>/static/*.js|css``) at
  ``/static/<service>/`` (its HTML pages are answered by its routes, with their CSP).

:func:`install` puts all of it on an app; :func:`shared.service.app.build_app` calls it for
every service. A page itself is answered with :func:`shared.service.pages.html_page`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.web import areas, assets, session


def install(app: FastAPI, *, service: str | None = None, pages: Path | None = None) -> None:
    """Serve ``/static/``, the sign-in page and the session and area-search endpoints; with
    ``pages`` (a service's ``static/`` folder) also its page scripts and styles at
    ``/static/<service>/``."""
    if service and pages is not None:
        # Before /static itself: the first mount whose prefix matches answers.
        app.mount(
            f"{assets.STATIC_PATH}/{service}",
            assets.StaticAssets(pages, serve_html=False),
            name=f"static-{service}",
        )
    app.mount(assets.STATIC_PATH, assets.StaticAssets(), name="static")
    app.include_router(session.router)
    app.include_router(areas.router)
