"""Building and appending the registry's events (the state change's transaction is the caller's).

Worker events go to ``registry.worker.v1`` keyed by the worker id, with the worker's village as
``area`` and the worker aggregate's version as ``sequence``; agency events go to
``registry.agency.v1`` with the agency's seat (or ``ID``) as ``area``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

import asyncpg

from services.registry.context import current_correlation_id
from services.registry.metrics import EVENTS_RECORDED
from shared import outbox
from shared.areas import NATION
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import EventData


def build(
    *,
    subject: uuid.UUID,
    sequence: int,
    area: str | None,
    data: EventData,
    correlation_id: str | None,
) -> Envelope:
    return new_event(
        source="registry",
        subject=str(subject),
        sequence=sequence,
        area=area or NATION,
        data=data,
        correlation_id=correlation_id,
    )


async def append(
    conn: asyncpg.Connection,
    *,
    subject: uuid.UUID,
    sequence: int,
    area: str | None,
    data: EventData,
) -> Envelope:
    envelope = build(
        subject=subject,
        sequence=sequence,
        area=area,
        data=data,
        correlation_id=current_correlation_id(),
    )
    await append_built(conn, [envelope])
    return envelope


async def append_built(conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    """Append envelopes made by :func:`build` (several requests' events in one statement batch)."""
    if not envelopes:
        return
    await outbox.append(conn, *envelopes)
    for event_type, count in Counter(e.type for e in envelopes).items():
        EVENTS_RECORDED.labels(event_type).inc(count)
