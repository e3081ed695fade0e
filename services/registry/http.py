"""HTTP plumbing shared by the registry's routers: the database pool and idempotent writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.registry.access import principal_key
from shared import idempotency
from shared.auth import Principal


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside one transaction (committed when the block ends cleanly)."""
    async with pool.acquire() as conn, conn.transaction():
        yield cast(asyncpg.Connection, conn)


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
            return JSONResponse(
                write.replay.body,
                status_code=write.replay.status_code,
                headers={idempotency.REPLAY_HEADER: "true"},
            )
        result = await action(conn)
        answer = result.model_dump(mode="json")
        await write.record(status_code, answer)
    return JSONResponse(answer, status_code=status_code)
