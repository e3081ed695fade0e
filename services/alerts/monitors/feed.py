"""The feed of alert changes a process's live streams read: ``alert_log``, followed as it grows.

Every alert change is a row of ``alert_log`` whose ``seq`` orders all changes (writers take
turns on the ``engine_state`` row before they write it, so seq order is commit order and a row
never appears behind one already seen). One listening connection per process learns of new rows
(``NOTIFY alert_log``, sent at commit; a poll every few seconds as a safety net), reads them
once and keeps the latest ``ALERTS_STREAM_BUFFER`` in memory; every stream of the process reads
from there, and a client further behind (a reconnect after a long pause) from the database.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import asyncpg

from services.alerts.monitors.repository import within_sql
from services.alerts.settings import AlertsSettings
from shared.areas import is_within
from shared.logging import get_logger
from shared.service.app import Runtime

log = get_logger(__name__)

POLL_SECONDS = 2.0
_READ_PAGE = 1_000
_RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Change:
    """One row of ``alert_log``: the alert as it stands after the change, as JSON text."""

    seq: int
    type: str
    area: str
    alert: str


class AlertFeed:
    def __init__(self, dsn: str, pool: asyncpg.Pool, buffer: int) -> None:
        self.dsn = dsn
        self.pool = pool
        self.size = buffer
        self.head = 0  # the last seq read
        self._floor = 0  # every change after it, up to head, is in _buffer
        self._buffer: list[Change] = []
        self._news = asyncio.Event()
        self._notified = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            self.head = self._floor = await conn.fetchval(
                "SELECT coalesce(max(seq), 0) FROM alert_log"
            )
        self._task = asyncio.create_task(self._follow(), name="alerts-feed")

    async def stop(self) -> None:
        self.closed = True
        self._announce()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def changes_after(self, last: int, within: str, limit: int) -> tuple[list[Change], int]:
        """Up to ``limit`` changes after ``last`` visible in ``within``, and the seq read up
        to (pass it as ``last`` next time: changes not visible are passed over once)."""
        if last < self._floor:
            return await self._from_database(last, within, limit)
        buffer = self._buffer
        found: list[Change] = []
        for i in range(bisect.bisect_right(buffer, last, key=lambda c: c.seq), len(buffer)):
            change = buffer[i]
            if is_within(change.area, within):
                found.append(change)
                if len(found) == limit:
                    return found, change.seq
        return found, max(last, self.head)

    async def wait_past(self, last: int, within: float) -> None:
        """Until a change after ``last`` is known, the feed closes, or ``within`` seconds."""
        news = self._news
        if self.head > last or self.closed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(news.wait(), within)

    async def _from_database(self, last: int, within: str, limit: int) -> tuple[list[Change], int]:
        upto = self._floor
        where, params = within_sql("area", within, 4)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, type, area, alert::text AS alert FROM alert_log"
                f" WHERE seq > $1 AND seq <= $2 AND {where} ORDER BY seq LIMIT $3",
                last,
                upto,
                limit,
                *params,
            )
        found = [Change(r["seq"], r["type"], r["area"], r["alert"]) for r in rows]
        return found, (found[-1].seq if len(found) == limit else upto)

    # -- following the log -------------------------------------------------------------------
    async def _follow(self) -> None:
        while not self.closed:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                await conn.add_listener("alert_log", self._on_notify)
                while not conn.is_closed():
                    await self._read_new(conn)
                    self._notified.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._notified.wait(), POLL_SECONDS)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("alert feed lost its database connection", error=type(exc).__name__)
                await asyncio.sleep(_RETRY_SECONDS)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()

    def _on_notify(self, *_: object) -> None:
        self._notified.set()

    async def _read_new(self, conn: asyncpg.Connection) -> None:
        while True:
            rows = await conn.fetch(
                "SELECT seq, type, area, alert::text AS alert FROM alert_log"
                " WHERE seq > $1 ORDER BY seq LIMIT $2",
                self.head,
                _READ_PAGE,
            )
            if not rows:
                return
            self._buffer.extend(Change(r["seq"], r["type"], r["area"], r["alert"]) for r in rows)
            self.head = rows[-1]["seq"]
            if len(self._buffer) > 2 * self.size:
                dropped = len(self._buffer) - self.size
                self._floor = self._buffer[dropped - 1].seq
                self._buffer = self._buffer[dropped:]
            self._announce()
            if len(rows) < _READ_PAGE:
                return

    def _announce(self) -> None:
        news, self._news = self._news, asyncio.Event()
        news.set()


@asynccontextmanager
async def open_feed(runtime: Runtime) -> AsyncIterator[AlertFeed]:
    """The :class:`~shared.service.app.Background` opener of the feed (``app.state.feed``)."""
    settings = cast(AlertsSettings, runtime.settings)
    feed = AlertFeed(settings.database_url, runtime.pool, settings.stream_buffer)
    await feed.start()
    try:
        yield feed
    finally:
        await feed.stop()
