"""The worker replica in PostgreSQL: batches in any order, with duplicates, across
transactions, leave the row that the events in order leave (the merge is by sequence)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import asyncpg
import pytest

from services.cases.workers import replica
from shared.contract.envelope import Envelope, new_event
from tests.support.cases import consumed
from tests.unit.cases.test_replica import HISTORY

pytestmark = pytest.mark.integration

FACTS = "village, sequence, sex, procedural, registered_on, status, occupation, agency_id, "
FACTS += "destination_country, departed_on"


def history_of(worker_id: uuid.UUID) -> list[Envelope]:
    return [
        new_event(
            source="registry",
            subject=str(worker_id),
            sequence=e.sequence,
            area=e.area,
            data=e.data,
            type=e.type,
        )
        for e in HISTORY
    ]


async def apply_in_batches(conn: asyncpg.Connection, batches: list[list[Envelope]]) -> None:
    for batch in batches:
        async with conn.transaction():
            await replica.apply(conn, consumed(batch))


async def facts(conn: asyncpg.Connection, worker_id: uuid.UUID) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT {FACTS} FROM workers WHERE id = $1", worker_id)
    assert row is not None
    return dict(row)


async def test_batches_in_any_order_leave_the_row_the_ordered_events_leave(make_database):
    conn = await asyncpg.connect(await make_database("services.cases"))
    try:
        in_order = uuid.uuid4()
        await apply_in_batches(conn, [[e] for e in history_of(in_order)])
        expected = await facts(conn, in_order)
        for seed in range(25):
            rng = random.Random(seed)
            worker_id = uuid.uuid4()
            events = history_of(worker_id)
            sent = events + [rng.choice(events) for _ in range(rng.randint(0, 6))]
            rng.shuffle(sent)
            cuts = sorted(rng.sample(range(1, len(sent)), k=rng.randint(0, len(sent) - 1)))
            batches = [sent[a:b] for a, b in zip([0, *cuts], [*cuts, len(sent)], strict=True)]
            await apply_in_batches(conn, batches)
            assert await facts(conn, worker_id) == expected, seed
    finally:
        await conn.close()
