"""Transactional outbox, writing side: append an event inside the caller's transaction.

The publishing side (one relay per service) lives in :mod:`shared.relay`.
"""

from __future__ import annotations

import json

import asyncpg

from shared.contract.envelope import Envelope
from shared.contract.events import TOPIC_OF_TYPE

INSERT = (
    "INSERT INTO outbox (event_id, topic, key, event_type, payload, headers)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb)"
)


def _row(envelope: Envelope, topic: str | None) -> tuple[object, ...]:
    return (
        envelope.id,
        topic or TOPIC_OF_TYPE[envelope.type],
        envelope.subject,
        envelope.type,
        envelope.to_json(),
        json.dumps(envelope.headers()),
    )


async def append(conn: asyncpg.Connection, *envelopes: Envelope, topic: str | None = None) -> None:
    """Record events for publication; must run inside the transaction of the state change."""
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.append must run inside the state change's transaction")
    await conn.executemany(INSERT, [_row(e, topic) for e in envelopes])
