"""Connections for the reporting functions: the type they accept (a connection or a pool's
proxy of one), and a transaction of its own for what a batch registers before its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


@asynccontextmanager
async def own_transaction(dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A transaction on a new connection to ``dsn``, committed when the block ends cleanly.

    Append-only dictionaries (figure keys, extra area codes) register new entries this way,
    before the batch that met them writes rows using them: a unique insert waits for any other
    transaction holding the same uncommitted entry, and a batch's transaction is long.
    """
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            yield conn
    finally:
        await conn.close()
