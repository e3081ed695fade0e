"""A small, ordered SQL migration runner: ``NNN_name.sql`` files, each applied once, in a lock.

Every service database first gets the plumbing schema (``shared/sql``: outbox, inbox, idempotency
keys), then the service's own ``migrations/`` folder. Applied files are recorded in
``schema_migrations``; an advisory lock lets several processes start at once safely.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

import asyncpg

_LOCK_ID = 7_261_001  # arbitrary, constant: serialises concurrent migrators of one database


def _scripts(folder: Traversable, scope: str) -> list[tuple[str, str]]:
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f"{scope}/{f.name}", f.read_text(encoding="utf-8")) for f in files]


def plumbing_scripts() -> list[tuple[str, str]]:
    return _scripts(resources.files("shared") / "sql", "shared")


def service_scripts(service_package: str) -> list[tuple[str, str]]:
    """The ``migrations/`` folder of a service package, e.g. ``services.registry``."""
    return _scripts(resources.files(service_package) / "migrations", service_package)


async def migrate(dsn: str, service_package: str | None = None) -> list[str]:
    """Apply what is missing; return the names applied now (empty when up to date)."""
    scripts = plumbing_scripts() + (service_scripts(service_package) if service_package else [])
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in scripts:
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", name)
            applied_now.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        await conn.close()
    return applied_now
