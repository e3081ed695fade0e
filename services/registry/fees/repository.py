"""SQL for fees (asyncpg, inside the caller's transaction)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import asyncpg

from services.registry.fees.models import FeeView
from shared.contract.codes import FeeComponent, Legality, Occupation


async def insert(
    conn: asyncpg.Connection,
    *,
    fee_id: uuid.UUID,
    worker_id: uuid.UUID,
    component: FeeComponent,
    amount: Decimal,
    currency: str,
    charged_on: date,
    agency_id: uuid.UUID | None,
    occupation: Occupation | None,
    legality: Legality,
) -> None:
    await conn.execute(
        "INSERT INTO fees (id, worker_id, component, amount, currency, charged_on, agency_id,"
        " occupation, legality) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        fee_id,
        worker_id,
        component.value,
        amount,
        currency,
        charged_on,
        agency_id,
        occupation.value if occupation else None,
        legality.value,
    )


async def of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[FeeView]:
    rows = await conn.fetch(
        "SELECT id, component, amount, currency, charged_on, agency_id, occupation, legality"
        " FROM fees WHERE worker_id = $1 ORDER BY charged_on, recorded_at",
        worker_id,
    )
    return [FeeView.model_validate(dict(r)) for r in rows]
