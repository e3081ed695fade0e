"""The worker replica: an idempotent batch consumer of ``registry.worker.v1``.

Cases never calls the registry. It keeps, per registered worker, only what a case needs: the
village (for jurisdiction and the case's area), the sex (figures are split by it), whether the
placement was procedural, the status, and the latest placement (occupation, agency, destination,
departure day) — no NIK, name or birth date (the events carry none).

Applied once per event: the consumer records each event id in the inbox in the transaction
that applies it (``shared/consumer.py``). Applied in any order: the facts fall in groups, each
taken from one kind of event and stored with the ``sequence`` of the event it came from —

- ``registered`` (sex, procedural, registration day) from ``worker-registered``;
- ``status`` from every lifecycle event (registered, verified, departed, returned);
- ``placement`` (occupation, agency, destination, departure day) from ``worker-registered``
  (the job applied for) and ``worker-departed`` (the job placed in);
- the village from any event, fees included —

and a group is replaced only by facts of a higher sequence. So a duplicate, a replay or an event
older than what is stored changes nothing, and the outcome does not depend on the order events
arrive in (a later event arriving first leaves a row whose registration facts are still empty
until ``worker-registered`` arrives). A batch is folded in memory first, one row per worker,
and written with one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date

import asyncpg

from shared.consumer import ConsumedEvent
from shared.contract.codes import WorkerStatus
from shared.contract.events import (
    WorkerDeparted,
    WorkerRegistered,
    WorkerReturned,
    WorkerVerified,
)

_STATUS_OF: dict[type, WorkerStatus] = {
    WorkerRegistered: WorkerStatus.REGISTERED,
    WorkerVerified: WorkerStatus.VERIFIED,
    WorkerDeparted: WorkerStatus.DEPARTED,
    WorkerReturned: WorkerStatus.RETURNED,
}


@dataclass(slots=True)
class Row:
    """One worker's facts as a batch leaves them; a group's ``*_seq`` is 0 when untouched."""

    id: uuid.UUID
    village: str
    sequence: int
    sex: str | None = None
    procedural: bool | None = None
    registered_on: date | None = None
    registered_seq: int = 0
    status: str | None = None
    status_seq: int = 0
    occupation: str | None = None
    agency_id: uuid.UUID | None = None
    destination_country: str | None = None
    departed_on: date | None = None
    placement_seq: int = 0


COLUMNS = tuple(f.name for f in fields(Row))
_TYPES = {
    "id": "uuid",
    "village": "text",
    "sequence": "int",
    "sex": "text",
    "procedural": "bool",
    "registered_on": "date",
    "registered_seq": "int",
    "status": "text",
    "status_seq": "int",
    "occupation": "text",
    "agency_id": "uuid",
    "destination_country": "text",
    "departed_on": "date",
    "placement_seq": "int",
}
_GROUPS = {
    "registered_seq": ("sex", "procedural", "registered_on"),
    "status_seq": ("status",),
    "placement_seq": ("occupation", "agency_id", "destination_country", "departed_on"),
    "sequence": ("village",),
}


def _upsert() -> str:
    newer = [
        f"{column} = CASE WHEN EXCLUDED.{seq} > w.{seq} THEN EXCLUDED.{column} ELSE w.{column} END"
        for seq, columns in _GROUPS.items()
        for column in columns
    ]
    seqs = [f"{seq} = GREATEST(w.{seq}, EXCLUDED.{seq})" for seq in _GROUPS]
    arrays = ", ".join(f"${i}::{_TYPES[c]}[]" for i, c in enumerate(COLUMNS, start=1))
    return (
        f"INSERT INTO workers AS w ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT (id) DO UPDATE SET {', '.join([*newer, *seqs])}, updated_at = now()"
        f" WHERE {' OR '.join(f'EXCLUDED.{seq} > w.{seq}' for seq in _GROUPS)}"
    )


UPSERT = _upsert()


def fold(events: Sequence[ConsumedEvent]) -> list[Row]:
    """The batch's facts, one row per worker (in id order, so that concurrent writers lock rows
    in one order), each group from the highest sequence seen for it in the batch."""
    rows: dict[str, Row] = {}
    for event in events:
        envelope, data = event.envelope, event.data
        seq = envelope.sequence
        row = rows.get(envelope.subject)
        if row is None:
            row = rows[envelope.subject] = Row(uuid.UUID(envelope.subject), envelope.area, seq)
        elif seq > row.sequence:
            row.village, row.sequence = envelope.area, seq
        status = _STATUS_OF.get(type(data))
        if status is not None and seq > row.status_seq:
            row.status, row.status_seq = status.value, seq
        if isinstance(data, WorkerRegistered):
            if seq > row.registered_seq:
                row.sex, row.procedural = data.sex.value, data.procedural
                row.registered_on, row.registered_seq = data.registered_on, seq
            if seq > row.placement_seq:
                occupation = data.occupation.value if data.occupation else None
                row.occupation, row.agency_id, row.destination_country = occupation, None, None
                row.departed_on, row.placement_seq = None, seq
        elif isinstance(data, WorkerDeparted) and seq > row.placement_seq:
            row.occupation, row.agency_id = data.occupation.value, data.agency_id
            row.destination_country, row.departed_on = data.destination_country, data.departed_on
            row.placement_seq = seq
    return sorted(rows.values(), key=lambda r: r.id)


async def apply(conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
    """The consumer's handler: fold the batch's new events and merge them into the replica."""
    rows = fold(events)
    if rows:
        await conn.execute(UPSERT, *([getattr(r, c) for r in rows] for c in COLUMNS))
