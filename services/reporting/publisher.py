"""Publishes suppressed area summaries to agencies (``reporting.area-summary.v1``)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from services.reporting.settings import ReportingSettings


class SummaryPublisher:
    """Placeholder until suppression lands: drains nothing."""

    def __init__(self, pool: asyncpg.Pool, settings: ReportingSettings) -> None:
        self.pool = pool
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
