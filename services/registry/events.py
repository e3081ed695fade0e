"""Building and appending the registry's events (the state change's transaction is the caller's).

Worker events go to ``registry.worker.v1`` keyed by the worker id, with the worker's village as
``area`` and the worker aggregate's version as ``sequence``; agency events go to
``registry.agency.v1`` with the agency's seat (or ``ID``) as ``area``.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.registry.context import current_correlation_id
from services.registry.metrics import EVENTS_RECORDED
from shared import outbox
from shared.areas import NATION
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import EventData


async def append(
    conn: asyncpg.Connection,
    *,
    event_type: str,
    subject: uuid.UUID,
    sequence: int,
    area: str | None,
    data: EventData,
) -> Envelope:
    envelope = new_event(
        type=event_type,
        source="registry",
        subject=str(subject),
        sequence=sequence,
        area=area or NATION,
        data=data,
        correlation_id=current_correlation_id(),
    )
    await outbox.append(conn, envelope)
    EVENTS_RECORDED.labels(event_type).inc()
    return envelope
