"""Group commit for registrations: concurrent ``POST /v1/workers`` share one transaction.

Why: a registration writes a worker row, its outbox event, its audit row and maybe its
Idempotency-Key — one transaction each would pay BEGIN, three to five statements and a COMMIT
(a WAL flush) per request, which on a small machine caps near 1,100 registrations/s before any
HTTP work. Each request is still validated on its own (422/403 before anything is queued); it
then hands a :class:`~services.registry.workers.service.Registration` to this batcher and awaits
its own outcome. The batcher takes up to ``max_batch`` queued registrations (lingering at most
``max_wait`` seconds for more) and writes them with set-based statements in ONE transaction
(:func:`~services.registry.workers.service.register_many`); while one batch is being written
the next one fills up, so batches grow with the load.

Nothing changes per request: a taken NIK is a 409 (also when the other registration is in the
same batch), a replayed key answers the stored answer, and only the requests whose batch
committed are answered 201. If a batch's transaction fails for an unexpected reason, it is split
in halves and each half written in a transaction of its own (concurrently), recursively, so one
bad registration fails only its own request and costs its batch about 2·log2(size) extra
transactions, not one per registration: a bad request never makes the others wait in line.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import asyncpg

from services.registry.workers.service import Outcome, Registration, Settled, register_many
from shared.logging import get_logger

log = get_logger(__name__)

_Entry = tuple[Registration, "asyncio.Future[Settled]"]


class RegistrationBatcher:
    """Queue of validated registrations written in groups; start it, submit, stop it."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_batch: int = 256,
        max_wait: float = 0.002,
        max_in_flight: int = 2,
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._slots = asyncio.Semaphore(max_in_flight)
        self._pending: list[_Entry] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._writers: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="registration-batcher")

    async def stop(self) -> None:
        """Write what is queued, wait for the batches under way, then stop."""
        self._closing = True
        self._arrived.set()
        self._full.set()  # no more lingering
        if self._runner is not None:
            await self._runner
            self._runner = None

    async def submit(self, registration: Registration) -> Settled:
        """Queue a registration and wait until its batch has committed (or failed)."""
        if self._closing or self._runner is None:
            raise RuntimeError("the registration batcher is not running")
        future: asyncio.Future[Settled] = asyncio.get_running_loop().create_future()
        self._enqueue([(registration, future)])
        return await future

    def _enqueue(self, entries: list[_Entry], *, first: bool = False) -> None:
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
                self._arrived.clear()  # a finishing writer sets it (it may hand back entries)
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

    async def _write(self, batch: list[_Entry]) -> None:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                outcomes = await register_many(
                    cast(asyncpg.Connection, conn), [r for r, _ in batch]
                )
        except Exception as exc:  # whatever it was, it fails only the registrations it is in
            await self._isolate(batch, exc)
            return
        deferred: list[_Entry] = []
        for (registration, future), outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                deferred.append((registration, future))
            else:
                _settle(future, outcome)
        if deferred:
            self._enqueue(deferred, first=True)

    async def _isolate(self, batch: list[_Entry], exc: Exception) -> None:
        """Find the registrations that make a batch fail by writing its halves apart."""
        if len(batch) == 1:
            log.warning("registration failed", error=type(exc).__name__)
            future = batch[0][1]
            if not future.done():
                future.set_exception(exc)
            return
        log.warning(
            "registration batch failed; writing its halves apart",
            error=type(exc).__name__,
            size=len(batch),
        )
        middle = len(batch) // 2
        await asyncio.gather(self._write(batch[:middle]), self._write(batch[middle:]))


def _settle(future: asyncio.Future[Settled], outcome: Outcome) -> None:
    if future.done():  # the request was cancelled (client gone); what committed stays
        return
    if outcome is None:
        future.set_exception(RuntimeError("a registration was left undecided"))
    elif isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
