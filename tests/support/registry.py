"""Helpers for the registry service's tests: a registration's body, the app offline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx

from pantau.simulate import make_nik
from services.registry.app import create_app
from services.registry.settings import RegistrySettings


def worker_body(
    serial: int, born: date, village: str, *, sex: str = "female", name: str = "Test Worker"
) -> dict[str, Any]:
    """A valid registration in ``village``: its NIK made of the district, ``born``, ``sex`` and
    ``serial`` (a module's serials far from other modules' keep the NIKs apart); the name is
    ``name`` and a random suffix."""
    return {
        "nik": make_nik(village.rsplit(".", 1)[0], born, sex, serial),
        "name": f"{name} {uuid.uuid4().hex[:8]}",
        "sex": sex,
        "birth_date": born.isoformat(),
        "village": village,
        "occupation": "housekeeper",
    }


def offline_settings(dsn: str, **overrides: Any) -> RegistrySettings:
    """The registry on ``dsn`` (migrated already) without relay or broker, logging JSON."""
    settings: dict[str, Any] = {
        "database_url": dsn,
        "relay_enabled": False,  # the outbox rows stay put: every event written can be read
        "migrate_on_start": False,
        "kafka_bootstrap_servers": "127.0.0.1:9",
        "log_json": True,
    }
    return RegistrySettings(**{**settings, **overrides})


@asynccontextmanager
async def registry_client(settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the registry app with its lifespan (started and stopped around it)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            yield http
