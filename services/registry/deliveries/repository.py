"""SQL for services delivered, family members and sessions (asyncpg, in the caller's
transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.registry.deliveries.models import FamilyMemberView, ServiceView
from services.registry.deliveries.programmes import Delivered
from shared.contract.codes import FamilyRelation, ServiceKind, ServiceProvider, Sex


@dataclass(frozen=True)
class Member:
    """A family member as the service needs them: the natural key of their record."""

    worker_id: uuid.UUID
    relation: FamilyRelation
    sex: Sex
    birth_year: int
    member: int


@dataclass(frozen=True)
class NewService:
    id: uuid.UUID
    worker_id: uuid.UUID
    family_member_id: uuid.UUID | None
    kind: ServiceKind
    delivered_on: date
    provider: ServiceProvider
    provider_area: str
    session_id: uuid.UUID | None


async def family_members(conn: asyncpg.Connection, members: Sequence[Member]) -> list[uuid.UUID]:
    """The record of each family member (made when first met), in the order given."""
    if not members:
        return []
    rows = await conn.fetch(
        "INSERT INTO family_members (id, worker_id, relation, sex, birth_year, member)"
        " SELECT gen_random_uuid(), w, r, s, b, m FROM unnest($1::uuid[], $2::text[],"
        " $3::text[], $4::int[], $5::int[]) WITH ORDINALITY AS f (w, r, s, b, m, n) ORDER BY n"
        " ON CONFLICT (worker_id, relation, sex, birth_year, member)"
        " DO UPDATE SET worker_id = EXCLUDED.worker_id"
        " RETURNING id, worker_id, relation, sex, birth_year, member",
        [m.worker_id for m in members],
        [m.relation.value for m in members],
        [m.sex.value for m in members],
        [m.birth_year for m in members],
        [m.member for m in members],
    )
    ids = {
        Member(
            r["worker_id"],
            FamilyRelation(r["relation"]),
            Sex(r["sex"]),
            r["birth_year"],
            r["member"],
        ): r["id"]
        for r in rows
    }
    return [ids[m] for m in members]


async def delivered_to(
    conn: asyncpg.Connection, worker_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID | None], list[Delivered]]:
    """Every service recorded for these workers and their families, by (worker, family
    member or None for the worker)."""
    rows = await conn.fetch(
        "SELECT worker_id, family_member_id, kind, delivered_on FROM services"
        " WHERE worker_id = ANY($1::uuid[])",
        list(worker_ids),
    )
    out: dict[tuple[uuid.UUID, uuid.UUID | None], list[Delivered]] = {}
    for r in rows:
        key = (r["worker_id"], r["family_member_id"])
        out.setdefault(key, []).append(Delivered(ServiceKind(r["kind"]), r["delivered_on"]))
    return out


async def insert_session(
    conn: asyncpg.Connection,
    *,
    session_id: uuid.UUID,
    kind: ServiceKind,
    delivered_on: date,
    provider: ServiceProvider,
    provider_area: str,
    participants: int,
) -> None:
    await conn.execute(
        "INSERT INTO service_sessions (id, kind, delivered_on, provider, provider_area,"
        " participants) VALUES ($1, $2, $3, $4, $5, $6)",
        session_id,
        kind.value,
        delivered_on,
        provider.value,
        provider_area,
        participants,
    )


async def insert_many(conn: asyncpg.Connection, services: Sequence[NewService]) -> None:
    await conn.execute(
        "INSERT INTO services (id, worker_id, family_member_id, kind, delivered_on, provider,"
        " provider_area, session_id) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[],"
        " $4::text[], $5::date[], $6::text[], $7::text[], $8::uuid[])",
        [s.id for s in services],
        [s.worker_id for s in services],
        [s.family_member_id for s in services],
        [s.kind.value for s in services],
        [s.delivered_on for s in services],
        [s.provider.value for s in services],
        [s.provider_area for s in services],
        [s.session_id for s in services],
    )


async def of_worker(
    conn: asyncpg.Connection, worker_id: uuid.UUID
) -> tuple[list[ServiceView], list[FamilyMemberView]]:
    """A worker's services (latest first) and family members, for the worker's record."""
    services = await conn.fetch(
        "SELECT id, kind, delivered_on, family_member_id, provider, provider_area, session_id"
        " FROM services WHERE worker_id = $1 ORDER BY delivered_on DESC, recorded_at DESC",
        worker_id,
    )
    members = await conn.fetch(
        "SELECT id, relation, sex, birth_year, member FROM family_members WHERE worker_id = $1"
        " ORDER BY recorded_at, id",
        worker_id,
    )
    return (
        [ServiceView.model_validate(dict(r)) for r in services],
        [FamilyMemberView.model_validate(dict(r)) for r in members],
    )
