"""Building and appending a service's events (the state change's transaction is the caller's).

The envelope's ``source`` is the running service (``ServiceSettings.service``, bound by the app
builder), its ``correlation_id`` the request's; the payload model names its own type, version
and topic. So a use case writes::

    await events.append(conn, subject=worker_id, sequence=version, area=village,
                        data=WorkerVerified(verified_on=day))

Writes committed in groups build envelopes first (:func:`build`, with each request's own
correlation id) and append them together (:func:`append_built`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

import asyncpg
from prometheus_client import Counter as PrometheusCounter

from shared import outbox
from shared.areas import NATION
from shared.contract.envelope import Envelope, Source, new_event
from shared.contract.events import EventData
from shared.service.context import current_correlation_id, current_service

EVENTS_RECORDED = PrometheusCounter(
    "pantau_events_recorded_total",
    "Events appended to the outbox, by service and type",
    ["service", "type"],
)

_UNSET: Any = object()


def build(
    *,
    subject: uuid.UUID | str,
    sequence: int,
    area: str | None,
    data: EventData,
    correlation_id: str | None = _UNSET,
    causation_id: str | None = None,
) -> Envelope:
    """An envelope from the running service (``area`` None: the nation)."""
    return new_event(
        source=cast(Source, current_service()),
        subject=str(subject),
        sequence=sequence,
        area=area or NATION,
        data=data,
        correlation_id=current_correlation_id() if correlation_id is _UNSET else correlation_id,
        causation_id=causation_id,
    )


async def append(
    conn: asyncpg.Connection,
    *,
    subject: uuid.UUID | str,
    sequence: int,
    area: str | None,
    data: EventData,
    causation_id: str | None = None,
) -> Envelope:
    """Build an event of the running service and write it to the outbox (in ``conn``'s
    transaction, which must be the state change's)."""
    envelope = build(
        subject=subject, sequence=sequence, area=area, data=data, causation_id=causation_id
    )
    await append_built(conn, [envelope])
    return envelope


async def append_built(conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    """Append envelopes made by :func:`build` (several requests' events in one statement)."""
    if not envelopes:
        return
    await outbox.append(conn, *envelopes)
    for (source, event_type), count in Counter((e.source, e.type) for e in envelopes).items():
        EVENTS_RECORDED.labels(source, event_type).inc(count)
