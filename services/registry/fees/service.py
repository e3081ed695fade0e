"""Recording a fee: an event on the worker's stream (it bumps the worker's version).

The occupation the zero-cost rule looks at is the worker's on the day the fee was charged, as the
registry knows it when the fee is recorded (``fees/occupation.py``): the placement in force that
day, else the job applied for before any placement, else the placement the fee preceded or
followed, else none (and then the fee can only be a warning).
"""

from __future__ import annotations

import uuid

import asyncpg

from services.registry.agencies import service as agencies
from services.registry.fees import repository
from services.registry.fees.legality import explain, fee_legality
from services.registry.fees.models import FeeCreated, FeeIn
from services.registry.fees.occupation import occupation_on
from services.registry.metrics import FEES_BY_LEGALITY
from services.registry.workers import repository as workers
from services.registry.workers.service import not_future
from shared.auth import Principal, require_area
from shared.contract.events import FeeCharged
from shared.logging import get_logger
from shared.service import audit, events
from shared.service.errors import InvalidFields, NotFound

log = get_logger(__name__)


async def record_fee(
    conn: asyncpg.Connection, principal: Principal, worker_id: uuid.UUID, body: FeeIn
) -> FeeCreated:
    errors = not_future("charged_on", body.charged_on)
    if errors:
        raise InvalidFields(errors)
    worker = await workers.get(conn, worker_id, lock=True)
    if worker is None:
        raise NotFound("no such worker")
    require_area(principal, worker.village)
    agency = await agencies.reference(conn, body.agency_id)
    placements = (await workers.placements_of(conn, [worker_id]))[worker_id]
    on_the_day = occupation_on(body.charged_on, placements, worker.occupation)
    occupation = on_the_day.occupation
    legality = fee_legality(body.component, body.charged_on, occupation)
    fee_id = uuid.uuid4()
    version = worker.version + 1
    await repository.insert(
        conn,
        fee_id=fee_id,
        worker_id=worker_id,
        component=body.component,
        amount=body.amount,
        currency=body.currency,
        charged_on=body.charged_on,
        agency_id=body.agency_id,
        occupation=occupation,
        legality=legality,
    )
    await workers.bump_version(conn, worker_id, version)
    await events.append(
        conn,
        subject=worker_id,
        sequence=version,
        area=worker.village,
        data=FeeCharged(
            fee_id=fee_id,
            component=body.component,
            amount=body.amount,
            currency=body.currency,
            charged_on=body.charged_on,
            agency_id=body.agency_id,
            occupation=occupation,
            legality=legality,
        ),
    )
    await audit.record(conn, principal, "worker.fee", worker_id=worker_id)
    FEES_BY_LEGALITY.labels(legality.value).inc()
    log.info("fee recorded", worker_id=str(worker_id), fee_id=str(fee_id), legality=legality.value)
    return FeeCreated(
        id=fee_id,
        worker_id=worker_id,
        legality=legality,
        reason=explain(body.component, body.charged_on, occupation, on_the_day.basis),
        occupation=occupation,
        occupation_basis=on_the_day.basis,
        version=version,
        agency_status=agency.status.value if agency.status else None,
        warnings=agency.warnings,
    )
