"""SQL for workers and their departures (asyncpg, inside the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.registry.fees.occupation import Placement
from shared.areas import NATION, area_level
from shared.contract.codes import Occupation, Sex, WorkerStatus

_COLUMNS = (
    "id, nik, name, sex, birth_date, village, occupation, procedural, status, version,"
    " verified_on, registered_on, registered_at"
)


@dataclass(frozen=True)
class Worker:
    id: uuid.UUID
    nik: str
    name: str
    sex: Sex
    birth_date: date
    village: str
    occupation: Occupation | None
    procedural: bool
    status: WorkerStatus
    version: int
    verified_on: date | None
    registered_on: date
    registered_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Worker:
        return cls(
            id=row["id"],
            nik=row["nik"],
            name=row["name"],
            sex=Sex(row["sex"]),
            birth_date=row["birth_date"],
            village=row["village"],
            occupation=Occupation(row["occupation"]) if row["occupation"] else None,
            procedural=row["procedural"],
            status=WorkerStatus(row["status"]),
            version=row["version"],
            verified_on=row["verified_on"],
            registered_on=row["registered_on"],
            registered_at=row["registered_at"],
        )


@dataclass(frozen=True)
class NewWorker:
    """A registration to insert (see :func:`insert_many`)."""

    id: uuid.UUID
    nik_hash: bytes
    nik: str
    name: str
    sex: Sex
    birth_date: date
    village: str
    occupation: Occupation | None
    procedural: bool
    registered_on: date


async def insert_many(conn: asyncpg.Connection, workers: Sequence[NewWorker]) -> set[uuid.UUID]:
    """Insert registered workers (version 1) in one statement; the ids actually inserted.

    A worker whose NIK is already registered — before, or earlier in ``workers`` — is skipped.
    Rows go in NIK-hash order (ties: list order), so concurrent batches take the unique
    index's locks in one order and the first of two equal NIKs in the list wins.
    """
    if not workers:
        return set()
    rows = await conn.fetch(
        "INSERT INTO workers (id, nik_hash, nik, name, sex, birth_date, village, occupation,"
        " procedural, registered_on, status, version)"
        " SELECT id, nik_hash, nik, name, sex, birth_date, village, occupation, procedural,"
        " registered_on, 'registered', 1"
        " FROM unnest($1::uuid[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::date[],"
        " $7::text[], $8::text[], $9::bool[], $10::date[]) WITH ORDINALITY"
        " AS w (id, nik_hash, nik, name, sex, birth_date, village, occupation, procedural,"
        " registered_on, n)"
        " ORDER BY nik_hash, n"
        " ON CONFLICT (nik_hash) DO NOTHING RETURNING id",
        [w.id for w in workers],
        [w.nik_hash for w in workers],
        [w.nik for w in workers],
        [w.name for w in workers],
        [w.sex.value for w in workers],
        [w.birth_date for w in workers],
        [w.village for w in workers],
        [w.occupation.value if w.occupation else None for w in workers],
        [w.procedural for w in workers],
        [w.registered_on for w in workers],
    )
    return {r["id"] for r in rows}


async def ids_by_nik_hashes(
    conn: asyncpg.Connection, nik_hashes: Sequence[bytes]
) -> dict[bytes, tuple[uuid.UUID, str]]:
    """(id, village) of the workers registered under these NIK hashes."""
    rows = await conn.fetch(
        "SELECT nik_hash, id, village FROM workers WHERE nik_hash = ANY($1::bytea[])",
        list(nik_hashes),
    )
    return {bytes(r["nik_hash"]): (r["id"], r["village"]) for r in rows}


async def get(
    conn: asyncpg.Connection, worker_id: uuid.UUID, *, lock: bool = False
) -> Worker | None:
    """The worker; with ``lock``, its row is locked until the transaction ends (one writer)."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM workers WHERE id = $1{suffix}", worker_id)
    return Worker.from_row(row) if row else None


async def get_many(
    conn: asyncpg.Connection, worker_ids: Sequence[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, Worker]:
    """The workers found among ``worker_ids``; with ``lock``, their rows are locked in id order
    (so that two requests naming the same workers cannot deadlock)."""
    suffix = " ORDER BY id FOR UPDATE" if lock else ""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM workers WHERE id = ANY($1::uuid[]){suffix}", list(worker_ids)
    )
    return {row["id"]: Worker.from_row(row) for row in rows}


async def set_versions(conn: asyncpg.Connection, versions: dict[uuid.UUID, int]) -> None:
    """Each worker's new version (a change that is no status step: a fee, a service)."""
    await conn.execute(
        "UPDATE workers AS w SET version = v.version, updated_at = now()"
        " FROM unnest($1::uuid[], $2::int[]) AS v (id, version) WHERE w.id = v.id",
        list(versions),
        list(versions.values()),
    )


async def set_status(
    conn: asyncpg.Connection,
    worker_id: uuid.UUID,
    *,
    status: WorkerStatus,
    version: int,
    verified_on: date | None = None,
) -> None:
    await conn.execute(
        "UPDATE workers SET status = $2, version = $3,"
        " verified_on = COALESCE($4, verified_on), updated_at = now() WHERE id = $1",
        worker_id,
        status.value,
        version,
        verified_on,
    )


async def bump_version(conn: asyncpg.Connection, worker_id: uuid.UUID, version: int) -> None:
    await conn.execute(
        "UPDATE workers SET version = $2, updated_at = now() WHERE id = $1", worker_id, version
    )


async def insert_departure(
    conn: asyncpg.Connection,
    *,
    departure_id: uuid.UUID,
    worker_id: uuid.UUID,
    occupation: Occupation,
    destination_country: str,
    channel: str,
    agency_id: uuid.UUID | None,
    departed_on: date,
    contract_end: date | None,
) -> None:
    await conn.execute(
        "INSERT INTO departures (id, worker_id, occupation, destination_country, channel,"
        " agency_id, departed_on, contract_end) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        departure_id,
        worker_id,
        occupation.value,
        destination_country,
        channel,
        agency_id,
        departed_on,
        contract_end,
    )


async def latest_departure(conn: asyncpg.Connection, worker_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, occupation, departed_on, returned_on FROM departures WHERE worker_id = $1"
        " ORDER BY recorded_at DESC, departed_on DESC LIMIT 1",
        worker_id,
    )


async def close_departure(
    conn: asyncpg.Connection, departure_id: uuid.UUID, returned_on: date
) -> None:
    await conn.execute(
        "UPDATE departures SET returned_on = $2 WHERE id = $1", departure_id, returned_on
    )


async def departures(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT id, occupation, destination_country, channel, agency_id, departed_on,"
            " contract_end, returned_on FROM departures WHERE worker_id = $1"
            " ORDER BY recorded_at DESC, departed_on DESC",
            worker_id,
        )
    )


async def placements_of(
    conn: asyncpg.Connection, worker_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Placement]]:
    """Every placement of each of these workers, in the order of departure."""
    rows = await conn.fetch(
        "SELECT worker_id, occupation, departed_on, returned_on FROM departures"
        " WHERE worker_id = ANY($1::uuid[]) ORDER BY departed_on",
        list(worker_ids),
    )
    out: dict[uuid.UUID, list[Placement]] = {i: [] for i in worker_ids}
    for row in rows:
        out[row["worker_id"]].append(
            Placement(Occupation(row["occupation"]), row["departed_on"], row["returned_on"])
        )
    return out


def jurisdiction_filter(within: str, first_param: int) -> tuple[str, list[str]]:
    """SQL and parameters selecting workers whose village is ``within`` or under it.

    Codes nest by prefix, so everything under X lies in the byte range [X + ".", X + "/")
    (``/`` is the character after ``.``); the village column uses the C collation for this.
    """
    if within == NATION:
        return "TRUE", []
    if area_level(within) == "village":
        return f"village = ${first_param}", [within]
    low, high = f"${first_param}", f"${first_param + 1}"
    return f"village >= {low} AND village < {high}", [within + ".", within + "/"]


async def page(
    conn: asyncpg.Connection,
    *,
    within: str,
    status: WorkerStatus | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Workers whose village is ``within`` (an area code, or ``ID``) or under it."""
    where, params = jurisdiction_filter(within, 4)
    return list(
        await conn.fetch(
            "SELECT id, name, sex, village, occupation, procedural, status, version, registered_at"
            f" FROM workers WHERE ($1::text IS NULL OR status = $1) AND {where}"
            " ORDER BY registered_at, id LIMIT $2 OFFSET $3",
            status.value if status else None,
            limit,
            offset,
            *params,
        )
    )
