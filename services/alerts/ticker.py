"""The clock loop: the time-driven rules fire from the clock, not only when an event arrives.

A case left unassigned, a deadline near or past, a return overdue, a window that slid: each is
a due check in the ``due`` table (the rules core's agenda). The loop sleeps until the next one
falls due (at most ``ALERTS_CLOCK_MAX_SLEEP_SECONDS``, and it wakes after every change), then
runs every check due by now in one step (:meth:`~services.alerts.keeper.EngineKeeper.step`):
their alerts are written and published like a batch's.

**It starts once the consumer has caught up.** At start the loop reads the topics' end offsets
and waits until the consumer's stored positions reach them; until then batches leave the due
checks alone. So after a restart, an assignment or a return still waiting in the log is read
before its deadline is judged, and a deadline that passed while the service was down fires once,
on the first tick after the catch-up. The due checks are stored, so nothing is lost across a
restart, and a check that ran is deleted with its effects, so nothing fires twice. That first
tick plans every check again (``RulesEngine.replan``): a threshold changed while the service was
stopped applies to every subject, not only to those the next events touch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import cast

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.alerts.intake import CONSUMER, TOPICS
from services.alerts.keeper import EngineKeeper, keep_out_of_collections
from services.alerts.settings import AlertsSettings
from shared.consumer import read_positions
from shared.contract.topics import PARTITIONS
from shared.logging import get_logger
from shared.service.app import Opener, Runtime
from shared.service.db import transaction

log = get_logger(__name__)

_RETRY_SECONDS = 2.0
_REPORT_EVERY_SECONDS = 30.0

Offsets = dict[tuple[str, int], int]


async def end_offsets(bootstrap_servers: str, within: float = 10.0) -> Offsets:
    """The next offset to be written on every partition of the topics the rules read.

    Read from a fetch's high watermark, not only from the broker's list of offsets: Tansu (the
    local broker) lists the last record *batch*'s base offset + 1 there, which falls short of
    the end when that batch holds several records. Fetching from just below the listed end
    gives the true high watermark on both brokers.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, client_id="pantau-alerts"
    )
    try:
        await consumer.start()
        wanted = [TopicPartition(t, p) for t in TOPICS for p in range(PARTITIONS[t])]
        consumer.assign(wanted)
        listed = await consumer.end_offsets(wanted)
        for tp in wanted:
            consumer.seek(tp, max(0, listed[tp] - 1))
        found: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + within
        while len(found) < len(wanted) and time.monotonic() < deadline:
            await consumer.getmany(*(tp for tp in wanted if tp not in found), timeout_ms=100)
            for tp in wanted:
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    found[tp] = highwater
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): max(found.get(tp, 0), listed[tp]) for tp in wanted}


def behind(targets: Offsets, positions: dict[str, dict[int, int]]) -> int:
    """Records between the consumer's positions and ``targets``."""
    return sum(
        max(0, end - positions.get(topic, {}).get(partition, 0))
        for (topic, partition), end in targets.items()
    )


class ClockLoop:
    def __init__(self, keeper: EngineKeeper, pool: asyncpg.Pool, settings: AlertsSettings) -> None:
        self.keeper = keeper
        self.pool = pool
        self.settings = settings
        self.ticks = 0

    async def run(self) -> None:
        await self.wait_for_catch_up()
        self.keeper.caught_up = True
        keep_out_of_collections()  # the state built while catching up
        log.info("clock loop started: the consumer has caught up")
        first = True
        while True:
            try:
                if first:
                    await self.tick(replan=True)
                elif self._due():
                    await self.tick()
                first = False
            except Exception as exc:
                log.warning("clock tick failed; retrying", error=type(exc).__name__)
                await asyncio.sleep(_RETRY_SECONDS)
                continue
            await self.keeper.changed(self._sleep())

    async def tick(self, *, replan: bool = False) -> None:
        """Run the checks due by now. ``replan`` (the first tick after a start) plans every
        check again first, so thresholds changed since the last run apply to every subject."""
        async with transaction(self.pool) as conn:
            await self.keeper.step(conn, lambda e: e.replan() if replan else e.tick())
        self.ticks += 1

    def _due(self) -> bool:
        due = self.keeper.next_due()
        return due is not None and due <= self.keeper.clock.now()

    def _sleep(self) -> float:
        longest = self.settings.clock_max_sleep_seconds
        due: datetime | None = self.keeper.next_due()
        if due is None:
            return longest
        return min(longest, max(0.0, (due - self.keeper.clock.now()).total_seconds()))

    async def wait_for_catch_up(self) -> None:
        """Until the consumer's stored positions reach the end offsets seen now."""
        targets: Offsets | None = None
        while targets is None:
            try:
                targets = await end_offsets(self.settings.kafka_bootstrap_servers)
            except Exception as exc:
                log.warning("clock loop cannot read the topics' ends yet", error=type(exc).__name__)
                await asyncio.sleep(_RETRY_SECONDS)
        reported = time.monotonic()
        while True:
            try:
                async with self.pool.acquire() as conn:
                    positions = await read_positions(cast(asyncpg.Connection, conn), CONSUMER)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("clock loop cannot read the positions", error=type(exc).__name__)
                positions = None
            if positions is not None:
                left = behind(targets, positions)
                if left == 0:
                    return
                if time.monotonic() - reported > _REPORT_EVERY_SECONDS:
                    log.info("clock loop waits for the consumer to catch up", records_left=left)
                    reported = time.monotonic()
            await asyncio.sleep(self.settings.catch_up_poll_seconds)


def clock_loop(keeper: EngineKeeper) -> Opener:
    """The :class:`~shared.service.app.Background` opener of the loop (``app.state.clock``)."""

    @asynccontextmanager
    async def running(runtime: Runtime) -> AsyncIterator[ClockLoop]:
        settings = runtime.settings
        assert isinstance(settings, AlertsSettings)
        loop = ClockLoop(keeper, runtime.pool, settings)
        task = asyncio.create_task(loop.run(), name="alerts-clock")
        try:
            yield loop
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return running
