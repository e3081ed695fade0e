"""Recording services delivered: one delivery, or a session's, in one transaction.

Every delivery is an event on its worker's stream (``service-delivered``; it bumps the worker's
version). A delivery to a family member names the member's record (made when first met, with
relation, sex and year of birth only); the event carries the relation and the sex, nothing
else of it. What a delivery counts for (preparing a departure, following a return, a child of
a worker abroad) is judged by ``deliveries/programmes.py`` from the days things happened.

A session is all or nothing: any participant at fault refuses the whole request (422 naming
the participant's field), and nothing is written. A participant outside the caller's
jurisdiction is answered exactly as an unknown worker id (422 on its ``worker_id``), so a session
tells nobody whether an id elsewhere is a registered worker. Workers' rows are locked in id
order, so sessions naming the same workers serialise without deadlocks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from services.registry.access import OWN_PROVIDER, providers_of
from services.registry.deliveries import repository
from services.registry.deliveries.models import FamilyMemberIn, ServiceRecorded
from services.registry.deliveries.programmes import Delivered, judge
from services.registry.metrics import SERVICES_BY_KIND
from services.registry.workers import repository as workers
from services.registry.workers.service import not_future
from shared.areas import is_within
from shared.auth import Principal, Role, require_area
from shared.contract.codes import (
    Beneficiary,
    FamilyRelation,
    ServiceKind,
    ServiceProvider,
)
from shared.contract.events import ServiceDelivered
from shared.logging import get_logger
from shared.service import audit, events
from shared.service.context import current_correlation_id
from shared.service.errors import FieldError, InvalidFields, NotFound

log = get_logger(__name__)

# An unknown worker id and a worker outside the caller's area get this same answer.
UNKNOWN_WORKER = "no such worker in your jurisdiction"

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class NestedFieldError(FieldError):
    """A field inside a list or an object of the body: ``loc`` is its whole path
    (``["body", "participants", 3, "worker_id"]``); the message never repeats the value."""

    path: Location = ()

    def as_detail(self) -> dict[str, Any]:
        return {"loc": [self.location, *self.path], "msg": self.msg, "type": self.type}


def _error(path: Location, msg: str) -> NestedFieldError:
    return NestedFieldError(".".join(map(str, path)), msg, path=path)


@dataclass(frozen=True)
class Delivery:
    """One beneficiary of a recording: a worker, or a member of the worker's family; ``where``
    locates its fields in the request (``()`` for the one of a single delivery)."""

    worker_id: uuid.UUID
    member: FamilyMemberIn | None
    where: Location = ()

    def identity(self) -> tuple[Any, ...]:
        m = self.member
        return (
            (self.worker_id,)
            if m is None
            else (self.worker_id, m.relation, m.sex, m.birth_year, m.member)
        )


@dataclass(frozen=True)
class Recording:
    """What every delivery of one request shares."""

    kind: ServiceKind
    delivered_on: date
    provider: ServiceProvider | None
    session_id: uuid.UUID | None = None


def provider_of(principal: Principal, provider: ServiceProvider | None) -> ServiceProvider:
    """The provider the caller records as (their own office by default); 422 on ``provider``
    for one their role may not name."""
    if provider is None:
        return OWN_PROVIDER[principal.role]
    if provider not in providers_of(principal.role):
        raise InvalidFields(
            [
                FieldError(
                    "provider",
                    "a village officer records the village's own services"
                    if principal.role is Role.VILLAGE_OFFICER
                    else "a village's own services are recorded by its village officer",
                )
            ]
        )
    return provider


def errors_of(recording: Recording, deliveries: Sequence[Delivery]) -> list[FieldError]:
    """Everything wrong with the request before any row is read (messages never repeat a
    value): a day in the future, community parenting for anyone but a child, a family member
    born after the day, a beneficiary listed twice."""
    errors: list[FieldError] = not_future("delivered_on", recording.delivered_on)
    seen: set[tuple[Any, ...]] = set()
    for d in deliveries:
        if recording.kind is ServiceKind.COMMUNITY_PARENTING and (
            d.member is None or d.member.relation is not FamilyRelation.CHILD
        ):
            errors.append(
                _error(
                    (*d.where, "beneficiary"),
                    "community parenting is for a worker's child (relation child)",
                )
            )
        if d.member is not None and d.member.birth_year > recording.delivered_on.year:
            errors.append(
                _error(
                    (*d.where, "beneficiary", "birth_year"),
                    "is after the year the service was delivered",
                )
            )
        if d.identity() in seen:
            errors.append(_error(d.where, "names a worker or family member listed before"))
        seen.add(d.identity())
    return errors


async def record(
    conn: asyncpg.Connection,
    principal: Principal,
    recording: Recording,
    deliveries: Sequence[Delivery],
    *,
    in_path: bool = False,
) -> list[ServiceRecorded]:
    """Record ``deliveries`` (state, events, audit) in the caller's transaction.

    ``in_path``: the worker was named by the URL (an unknown one is 404, one outside the
    caller's area 403, as on every route of a worker), else by the body (an unknown one and one
    outside the caller's area alike are 422 on its ``worker_id``).
    """
    provider = provider_of(principal, recording.provider)
    errors = errors_of(recording, deliveries)
    if errors:
        raise InvalidFields(errors)
    ids = sorted({d.worker_id for d in deliveries})
    found = await workers.get_many(conn, ids, lock=True)
    if in_path:
        if len(found) < len(ids):
            raise NotFound("no such worker")
        for worker in found.values():
            require_area(principal, worker.village)
    unknown = [
        d
        for d in deliveries
        if d.worker_id not in found or not is_within(found[d.worker_id].village, principal.area)
    ]
    if unknown:
        raise InvalidFields([_error((*d.where, "worker_id"), UNKNOWN_WORKER) for d in unknown])
    placements = await workers.placements_of(conn, ids)
    earlier = await repository.delivered_to(conn, ids)
    members = iter(
        await repository.family_members(
            conn,
            [
                repository.Member(
                    d.worker_id,
                    d.member.relation,
                    d.member.sex,
                    d.member.birth_year,
                    d.member.member,
                )
                for d in deliveries
                if d.member is not None
            ],
        )
    )
    versions = {i: found[i].version for i in ids}
    rows: list[repository.NewService] = []
    envelopes = []
    answers: list[ServiceRecorded] = []
    correlation_id = current_correlation_id()
    for d in deliveries:
        worker = found[d.worker_id]
        member_id = next(members) if d.member is not None else None
        past = earlier.setdefault((d.worker_id, member_id), [])
        judged = judge(
            recording.kind,
            recording.delivered_on,
            placements[d.worker_id],
            past,
            to_worker=d.member is None,
        )
        past.append(Delivered(recording.kind, recording.delivered_on))
        versions[d.worker_id] += 1
        service_id = uuid.uuid4()
        rows.append(
            repository.NewService(
                id=service_id,
                worker_id=d.worker_id,
                family_member_id=member_id,
                kind=recording.kind,
                delivered_on=recording.delivered_on,
                provider=provider,
                provider_area=principal.area,
                session_id=recording.session_id,
            )
        )
        beneficiary = Beneficiary.WORKER if d.member is None else Beneficiary.FAMILY
        relation = d.member.relation if d.member is not None else None
        data = ServiceDelivered(
            service_id=service_id,
            kind=recording.kind,
            delivered_on=recording.delivered_on,
            beneficiary=beneficiary,
            sex=d.member.sex if d.member is not None else worker.sex,
            relation=relation,
            provider=provider,
            provider_area=principal.area,
            session_id=recording.session_id,
            first_of_kind=judged.first_of_kind,
            worker_abroad=judged.worker_abroad,
            prepares_departure_on=judged.prepares_departure_on,
            first_preparation=judged.first_preparation,
            reintegrates_return_on=judged.reintegrates_return_on,
            first_reintegration=judged.first_reintegration,
        )
        envelopes.append(
            events.build(
                subject=d.worker_id,
                sequence=versions[d.worker_id],
                area=worker.village,
                data=data,
                correlation_id=correlation_id,
            )
        )
        answers.append(
            ServiceRecorded(
                id=service_id,
                worker_id=d.worker_id,
                kind=recording.kind,
                delivered_on=recording.delivered_on,
                beneficiary=beneficiary,
                family_member_id=member_id,
                relation=relation,
                provider=provider,
                provider_area=principal.area,
                session_id=recording.session_id,
                version=versions[d.worker_id],
                first_of_kind=judged.first_of_kind,
                prepares_departure_on=judged.prepares_departure_on,
                reintegrates_return_on=judged.reintegrates_return_on,
            )
        )
    if recording.session_id is not None:
        await repository.insert_session(
            conn,
            session_id=recording.session_id,
            kind=recording.kind,
            delivered_on=recording.delivered_on,
            provider=provider,
            provider_area=principal.area,
            participants=len(deliveries),
        )
    await repository.insert_many(conn, rows)
    await workers.set_versions(conn, versions)
    await events.append_built(conn, envelopes)
    await audit.record_many(
        conn,
        [
            audit.Entry(
                principal,
                "worker.service",
                {"worker_id": d.worker_id, "session_id": recording.session_id},
                correlation_id,
            )
            for d in deliveries
        ],
    )
    SERVICES_BY_KIND.labels(recording.kind.value).inc(len(deliveries))
    log.info(
        "services recorded",
        kind=recording.kind.value,
        deliveries=len(deliveries),
        session_id=str(recording.session_id) if recording.session_id else None,
    )
    return answers
