"""The registry service (port 8001): workers, their placements and fees, and agencies.

It owns the personal records (NIK, name, birth date) and publishes what happens to them as
events without personal data: ``registry.worker.v1`` (key = worker id, area = the worker's
village, sequence = the worker's version) and ``registry.agency.v1``. A state change, its event
(transactional outbox), its audit row and its Idempotency-Key are committed together;
registrations are committed in groups (the kit's ``GroupCommit`` over
:func:`~services.registry.workers.service.register_many`), each request keeping its answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.registry.agencies.views import router as agencies_router
from services.registry.deliveries.views import router as services_router
from services.registry.fees.views import router as fees_router
from services.registry.settings import RegistrySettings
from services.registry.workers import service as workers
from services.registry.workers.views import router as workers_router
from shared.service.app import Background, Runtime, build_app

DESCRIPTION = """Registers prospective migrant workers (village, regency), verifies them (regency),
records departures, returns and the fees they were charged, the services villages and one-roof
centres deliver to them and their families before departure and after return, and licenses
placement agencies.

**Authorization.** `Authorization: Bearer <token>` (see `pantau token`). Officers act within
their jurisdiction: a village officer on their village, a regency officer on their regency, a
province officer on their province, the ministry on everything. Verification is for regency,
province and ministry. Case workers and supervisors may read records in their area (without the
NIK). Officers record services delivered within their jurisdiction: a village officer the
village's own (provider `village`); the staff of a one-roof centre (LTSA, Migrant Resource
Centre) with an officer token of the centre's area, naming the centre (`ltsa`, `mrc`). Agency
licensing and revocation are for the ministry; a province officer may suspend an agency seated
in their province.

**Errors.** 401 no or bad token; 403 outside your role or jurisdiction; 404 no such record;
409 the record's state does not allow the step (or the NIK / licence number is already
registered); 422 a field is at fault, named in `loc` — submitted values are never echoed;
429 a rate limit is spent (`Retry-After` says when to retry): too many requests without a valid
token from one address, or too many duplicate-NIK refusals for one caller. Nothing is written
when a request is refused, except the audit row of a duplicate-NIK refusal.

**Idempotency.** Every write accepts `Idempotency-Key`: the same key with the same body returns
the first answer (with `Idempotent-Replayed: true`) and writes nothing; the same key with a
different body is refused with 422.

**Correlation.** Every answer carries `X-Correlation-ID`, made by the server: a keyed digest of
your `X-Request-ID` when you send one (so a retry with the same request id gets the same
correlation id), else a random one. It is carried by the events the request causes and by the
audit trail; what you send in `X-Request-ID` itself is never stored, logged or published.

**Events.** `worker-registered`, `worker-verified`, `worker-departed`, `worker-returned`,
`fee-charged`, `service-delivered` on `registry.worker.v1`; `agency-licensed`,
`agency-suspended`, `agency-revoked` on `registry.agency.v1` (see docs/asyncapi.json). They never
carry a NIK, a name or a birth date (a family member travels as a relation code and a sex); a
suspension or revocation carries its reason as a code (the free-text note stays here)."""

TAGS = [
    {"name": "workers", "description": "Registration and lifecycle of workers (personal records)"},
    {"name": "fees", "description": "Fees charged to workers, judged by the zero-cost rule"},
    {
        "name": "services",
        "description": "Services delivered to workers and their families before departure and "
        "after return, one by one or a session at a time",
    },
    {"name": "agencies", "description": "Placement agencies (P3MI) and their licences"},
]


@asynccontextmanager
async def registration_commit(runtime: Runtime) -> AsyncIterator[workers.Registrations]:
    """The group commit of registrations (``app.state.registrations``)."""
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    size, wait = settings.registration_batch_size, settings.registration_batch_wait_ms / 1000
    write = workers.register_many
    commit = workers.Registrations(
        runtime.pool, write, max_batch=size, max_wait=wait, name="registrations"
    )
    async with commit:
        yield commit


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    return build_app(
        settings,
        title="Pantau registry",
        description=DESCRIPTION,
        tags=TAGS,
        routers=[workers_router, fees_router, services_router, agencies_router],
        background=[Background("registrations", registration_commit)],
    )
