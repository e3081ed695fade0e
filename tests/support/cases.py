"""Helpers for the cases service's tests: tokens, the app with its lifespan, worker facts fed to
the replica as the registry's events, and what a database holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from fastapi import FastAPI

from services.cases.app import create_app
from services.cases.settings import CasesSettings
from services.cases.workers import replica
from shared.auth import issue_token
from shared.consumer import ConsumedEvent
from shared.contract.codes import Channel, Occupation, Sex
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import EventData, WorkerDeparted, WorkerRegistered
from shared.contract.topics import Topic
from tests.support.database import connection, fresh_database

VILLAGE = "53.71.01.1001"  # Namosain, Kota Kupang (NTT)
OTHER_VILLAGE = "53.71.02.1001"  # another district of Kota Kupang
REGENCY = "53.71"
OTHER_REGENCY = "53.72"
PROVINCE = "53"

# Every table a request may write to: a refused request must leave all of them as they were.
TABLES = (
    "cases",
    "case_clocks",
    "case_actions",
    "case_referrals",
    "case_escalations",
    "case_alerts",
    "reports",
    "break_glass_grants",
    "case_workers",
    "audit_log",
    "outbox",
    "idempotency_keys",
)


def auth(role: str, area: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area, sub=sub)}"}


OFFICER = auth("village-officer", VILLAGE)
REGENCY_OFFICER = auth("regency-officer", REGENCY)
PROVINCE_OFFICER = auth("province-officer", PROVINCE)
MINISTRY = auth("ministry", "ID")
SUPERVISOR = auth("supervisor", PROVINCE, sub="supervisor.ntt")


@asynccontextmanager
async def cases_client(settings: CasesSettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan (migrations, pool, relay and consumers as the settings say)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://cases") as client:
            yield app, client


def offline_settings(dsn: str, **overrides: Any) -> CasesSettings:
    """Settings for API tests: no relay, no broker (the consumers retry in the background)."""
    values: dict[str, Any] = {
        "database_url": dsn,
        "relay_enabled": False,
        "kafka_bootstrap_servers": "127.0.0.1:9",
        "rate_limits_enabled": False,
        "log_json": True,
    }
    values.update(overrides)
    return CasesSettings(**values)


def unregistered(**changes: Any) -> dict[str, Any]:
    """An intake body for a worker never registered."""
    body: dict[str, Any] = {
        "village": VILLAGE,
        "sex": "female",
        "category": "unpaid_wages",
        "channel": "walk_in",
        "narrative": "Majikan di Johor belum membayar gaji lima bulan.",
    }
    body.update(changes)
    return body


def worker_event(
    worker_id: uuid.UUID, sequence: int, data: EventData, village: str = VILLAGE
) -> Envelope:
    return new_event(
        source="registry", subject=str(worker_id), sequence=sequence, area=village, data=data
    )


def registered(sex: Sex = Sex.FEMALE, procedural: bool = True) -> WorkerRegistered:
    return WorkerRegistered(
        sex=sex,
        birth_year=1995,
        procedural=procedural,
        occupation=Occupation.HOUSEKEEPER,
        registered_on=date(2025, 1, 6),
    )


def departed(agency_id: uuid.UUID | None = None) -> WorkerDeparted:
    return WorkerDeparted(
        occupation=Occupation.HOUSEKEEPER,
        destination_country="MY",
        channel=Channel.P3MI if agency_id else Channel.INDIVIDUAL,
        agency_id=agency_id,
        departed_on=date(2025, 4, 1),
    )


def consumed(envelopes: Sequence[Envelope]) -> list[ConsumedEvent]:
    from shared.contract.events import parse_data

    return [ConsumedEvent(e, parse_data(e), Topic.WORKER, 0, n) for n, e in enumerate(envelopes)]


async def feed_replica(dsn: str, envelopes: Sequence[Envelope]) -> None:
    """Apply registry events to the replica as the consumer would (one batch)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await replica.apply(conn, consumed(envelopes))
    finally:
        await conn.close()


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}


async def outbox_events(conn: asyncpg.Connection, case_id: uuid.UUID | str) -> list[Envelope]:
    rows = await conn.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY position", str(case_id)
    )
    return [Envelope.model_validate_json(bytes(r["payload"])) for r in rows]


def offline_service() -> tuple[Any, Any, Any]:
    """Fixtures for a module of API tests: ``dsn`` (a fresh cases database), ``client`` (the app
    on it, offline; one per module) and ``db`` (a connection, per test). Assign them in the
    module: ``dsn, client, db = offline_service()``."""

    @pytest_asyncio.fixture(scope="module", loop_scope="session")
    async def client(dsn: str) -> AsyncIterator[httpx.AsyncClient]:
        async with cases_client(offline_settings(dsn, migrate_on_start=False)) as (_, client):
            yield client

    return fresh_database("services.cases"), client, connection()
