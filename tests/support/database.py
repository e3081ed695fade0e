"""Database fixtures a test module assigns to itself: its fresh database and a connection to it.

dsn = fresh_database("services.registry")   # one database per module (migrated)
db = connection()                           # a connection to it per test
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import asyncpg
import pytest_asyncio


def fresh_database(package: str, *, scope: Literal["module", "function"] = "module") -> Any:
    """The ``dsn`` fixture: a fresh database with ``package``'s migrations (per module)."""

    @pytest_asyncio.fixture(scope=scope, loop_scope="session")
    async def dsn(make_database: Any) -> str:
        return str(await make_database(package))

    return dsn


def connection() -> Any:
    """The ``db`` fixture: a connection to the module's ``dsn``, closed after the test."""

    @pytest_asyncio.fixture(loop_scope="session")
    async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(dsn)
        try:
            yield conn
        finally:
            await conn.close()

    return db
