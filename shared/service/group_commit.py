"""Group commit: concurrent requests' writes share one transaction, each keeping its own answer.

Why: a small write (a row, its outbox event, its audit row, maybe its Idempotency-Key) in a
transaction of its own pays BEGIN, a few statements and a COMMIT (a WAL flush) per request,
which on a small machine caps near a thousand writes per second before any HTTP work. A request
validates on its own (422/403 before anything is queued), then :meth:`GroupCommit.submit`\\ s
its prepared item and awaits its own outcome. The writer takes up to ``max_batch`` queued items
(lingering at most ``max_wait`` seconds for more) and calls ``write(conn, items)`` in ONE
transaction; while one batch is written the next fills up, so batches grow with the load.

``write`` returns one outcome per item: a value (the item's result), an exception (raised to
that request alone), or None (not decided in this transaction: the item is queued again first,
e.g. a second request under an Idempotency-Key an earlier item of the same batch holds). Only
items whose batch committed are answered. If a batch's transaction fails unexpectedly it is
split in halves, each written in a transaction of its own (concurrently), recursively, so one
bad item fails only its own request and costs about 2·log2(size) extra transactions.

    commit = GroupCommit(pool, open_many, max_batch=256, max_wait=0.002, name="intake")
    await commit.start()
    outcome = await commit.submit(prepared)      # in a request
    await commit.stop()                          # writes what is queued first

or ``async with GroupCommit(...) as commit:`` (started, and stopped when the block ends).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Self, TypeVar, cast

import asyncpg

from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Write = Callable[[asyncpg.Connection, Sequence[T]], Awaitable[Sequence[R | Exception | None]]]


class GroupCommit(Generic[T, R]):
    """A queue of prepared writes committed in groups; start it, submit, stop it."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        write: Write[T, R],
        *,
        max_batch: int = 256,
        max_wait: float = 0.002,
        max_in_flight: int = 2,
        name: str = "group-commit",
    ) -> None:
        self._pool = pool
        self._write_many = write
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._name = name
        self._slots = asyncio.Semaphore(max_in_flight)
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._writers: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name=self._name)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Write what is queued, wait for the batches under way, then stop."""
        self._closing = True
        self._arrived.set()
        self._full.set()  # no more lingering
        if self._runner is not None:
            await self._runner
            self._runner = None

    async def submit(self, item: T) -> R:
        """Queue ``item`` and wait until its batch has committed (or failed)."""
        if self._closing or self._runner is None:
            raise RuntimeError(f"{self._name} is not running")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._enqueue([(item, future)])
        return await future

    def _enqueue(self, entries: list[tuple[T, asyncio.Future[R]]], *, first: bool = False) -> None:
        self._pending = entries + self._pending if first else self._pending + entries
        self._arrived.set()
        if len(self._pending) >= self._max_batch:
            self._full.set()

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            if not self._pending and self._closing:
                if not self._writers:
                    return
                self._arrived.clear()  # a finishing writer sets it (it may hand back items)
                continue
            await self._slots.acquire()
            if len(self._pending) < self._max_batch and not self._closing:
                # Linger a moment: requests arriving meanwhile share this commit.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._max_wait):
                        await self._full.wait()
            batch = [e for e in self._pending[: self._max_batch] if not e[1].done()]
            del self._pending[: self._max_batch]
            if len(self._pending) < self._max_batch:
                self._full.clear()
            if not self._pending and not self._closing:
                self._arrived.clear()
            if not batch:
                self._slots.release()
                continue
            writer = asyncio.create_task(self._write(batch))
            self._writers.add(writer)
            writer.add_done_callback(self._writer_done)

    def _writer_done(self, writer: asyncio.Task[None]) -> None:
        self._writers.discard(writer)
        self._slots.release()
        if self._closing:
            self._arrived.set()

    async def _write(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                outcomes = await self._write_many(
                    cast(asyncpg.Connection, conn), [item for item, _ in batch]
                )
        except Exception as exc:  # whatever it was, it fails only the items it is in
            await self._isolate(batch, exc)
            return
        deferred = []
        for (item, future), outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                deferred.append((item, future))
            elif not future.done():  # done: the request was cancelled; what committed stays
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        if deferred:
            self._enqueue(deferred, first=True)

    async def _isolate(self, batch: list[tuple[T, asyncio.Future[R]]], exc: Exception) -> None:
        """Find the items that make a batch fail by writing its halves apart."""
        if len(batch) == 1:
            log.warning("group commit: a write failed", writer=self._name, error=type(exc).__name__)
            future = batch[0][1]
            if not future.done():
                future.set_exception(exc)
            return
        log.warning(
            "group commit: a batch failed; writing its halves apart",
            writer=self._name,
            error=type(exc).__name__,
            size=len(batch),
        )
        middle = len(batch) // 2
        await asyncio.gather(self._write(batch[:middle]), self._write(batch[middle:]))
