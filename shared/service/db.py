"""The database pool of a request, one transaction, and idempotent writes.

Routes take the app's pool as a dependency (``pool: Pool``); a write that should answer the same
way when retried with the same ``Idempotency-Key`` runs through :func:`idempotent_write`::

    @router.post("/v1/things", status_code=201)
    async def add(body: ThingIn, request: Request, principal: Caller, pool: Pool,
                  key: IdempotencyKey = None) -> JSONResponse:
        return await idempotent_write(pool, request, principal, key, body, 201,
                                      lambda conn: service.add(conn, principal, body))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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
    payload: Any = body.model_dump(mode="json") if body is not None else None
    fingerprint = idempotency.request_fingerprint(request.method, request.url.path, payload)
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
