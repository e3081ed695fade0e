"""The live stream: server-sent events of every alert change in a jurisdiction, resumable.

Each change of ``alert_log`` the caller may see is one event: ``id`` its ``seq`` (which orders
all alert changes), ``event`` its type, ``data`` the alert after it (JSON). A client that
reconnects with ``Last-Event-ID`` (browsers do so by themselves) gets every change after that id
and none twice; a board that has just read a page opens the stream ``after`` the page's
``position``. Keep-alive comment lines go out while nothing happens (sse-starlette's ping), and
a stream ends after ``ALERTS_STREAM_LIFETIME_SECONDS``, so a long-lived client shows its token
again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from fastapi import Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.alerts.monitors import repository
from services.alerts.monitors.feed import AlertFeed
from services.alerts.settings import AlertsSettings
from shared.auth import Principal
from shared.service import audit
from shared.service.db import transaction

MAX_POSITION = 10**18 - 1
RETRY_MS = 3_000  # how soon a browser reconnects
_PAGE = 500
_WAIT_SECONDS = 30.0


async def open_stream(
    request: Request, principal: Principal, within: str, after: int | None
) -> EventSourceResponse:
    feed: AlertFeed = request.app.state.feed
    settings: AlertsSettings = request.app.state.settings
    async with transaction(request.app.state.pool) as conn:
        if after is not None and after > feed.head:
            # A position this process has not read yet (or one from before a database was
            # restored): never start past the last change committed.
            after = min(after, await repository.position(conn))
        await audit.record(conn, principal, "alert.stream", area=within)
    start = feed.head if after is None else after
    return EventSourceResponse(
        changes(feed, within, start, settings.stream_lifetime_seconds),
        ping=settings.stream_keepalive_seconds,
    )


async def changes(
    feed: AlertFeed, within: str, last: int, lifetime: float
) -> AsyncIterator[ServerSentEvent]:
    """The events after ``last`` visible in ``within``, as they come, until ``lifetime``."""
    yield ServerSentEvent(comment="alerts", retry=RETRY_MS)
    ends = time.monotonic() + lifetime
    while not feed.closed:
        left = ends - time.monotonic()
        if left <= 0:
            return
        found, last = await feed.changes_after(last, within, _PAGE)
        for change in found:
            yield ServerSentEvent(data=change.alert, event=change.type, id=str(change.seq))
        if not found:
            await feed.wait_past(last, min(left, _WAIT_SECONDS))
