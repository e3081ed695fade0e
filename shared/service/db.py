"""The database pool of a request, one transaction, and idempotent writes.

Routes take the app's pool as a dependency (``pool: Pool``); a write that should answer the same
way when retried with the same ``Idempotency-Key`` runs through :func:`idempotent_write`::

    @router.post("/v1/things", status_code=201)
    async def add(body: ThingIn, request: Request, principal: Caller, pool: Pool,
                  key: IdempotencyKey = None) -> JSONResponse:
        return await idempotent_write(pool, request, principal, key, body, 201,
                                      lambda conn: service.add(conn, principal, body))

A write queued in a group commit (:mod:`shared.service.group_commit`) checks its key first with
:func:`before_queuing` (a stored answer is replayed at once) and hands the fingerprint on to the
transaction that writes it, which checks the key again under its lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared import idempotency
from shared.auth import Principal, principal_key


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside one transaction (committed when the block ends cleanly)."""
    async with pool.acquire() as conn, conn.transaction():
        yield cast(asyncpg.Connection, conn)


def replay(stored: idempotency.StoredResponse) -> JSONResponse:
    """The stored first answer to a retried request, marked ``Idempotent-Replayed: true``."""
    return JSONResponse(
        stored.body, status_code=stored.status_code, headers={idempotency.REPLAY_HEADER: "true"}
    )


async def idempotent_write(
    pool: asyncpg.Pool,
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel | None,
    status_code: int,
    action: Callable[[asyncpg.Connection], Awaitable[BaseModel]],
) -> JSONResponse:
    """Run ``action`` in one transaction together with the Idempotency-Key bookkeeping.

    A replay answers the stored status and body with ``Idempotent-Replayed: true`` and runs
    nothing; the answer is sent only once the transaction has committed.
    """
    fingerprint = _fingerprint(request, body)
    async with transaction(pool) as conn:
        write = await idempotency.begin(
            conn, principal=principal_key(principal), key=key, fingerprint=fingerprint
        )
        if write.replay is not None:
            return replay(write.replay)
        result = await action(conn)
        answer = result.model_dump(mode="json")
        await write.record(status_code, answer)
    return JSONResponse(answer, status_code=status_code)


@dataclass(frozen=True)
class KeyChecked:
    """What :func:`before_queuing` found: the fingerprint to queue with, or a stored answer."""

    fingerprint: str  # "" without a key
    replay: JSONResponse | None = None


async def before_queuing(
    pool: asyncpg.Pool,
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel,
) -> KeyChecked:
    """The Idempotency-Key check of a write queued rather than run at once (group commit).

    A key that already answered this very request gives that answer (``replay``, marked
    ``Idempotent-Replayed: true``); another request under it raises
    :class:`~shared.idempotency.IdempotencyKeyReused` (422). A miss proves nothing: the queued
    write's transaction checks the key again under its lock, with ``fingerprint``.
    """
    if key is None:
        return KeyChecked("")
    fingerprint = _fingerprint(request, body)
    async with pool.acquire() as conn:
        stored = await idempotency.lookup(
            cast(asyncpg.Connection, conn),
            principal=principal_key(principal),
            key=key,
            fingerprint=fingerprint,
        )
    return KeyChecked(fingerprint, replay(stored) if stored is not None else None)


def _fingerprint(request: Request, body: BaseModel | None) -> str:
    payload: Any = body.model_dump(mode="json") if body is not None else None
    return idempotency.request_fingerprint(request.method, request.url.path, payload)
