"""Registrations are committed in groups (the kit's GroupCommit), per-request answers unchanged.

Real PostgreSQL (and, for the events on the topic, the real broker with the outbox relay). The
HTTP tests give the group commit a long linger so that requests sent together share a
transaction; the group-commit tests drive a :class:`GroupCommit` of
:func:`~services.registry.workers.service.register_many` directly, which also bypasses the view's
Idempotency-Key lookup so that the in-transaction check is what answers.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from services.registry.workers import service
from services.registry.workers.models import WorkerIn
from shared.auth import Principal, Role, issue_token
from shared.contract.envelope import Envelope
from shared.idempotency import IdempotencyKeyReused, StoredResponse, request_fingerprint
from shared.service.context import correlation_id_for, service_context
from tests.support.database import connection, fresh_database
from tests.support.messaging import read_topic
from tests.support.registry import offline_settings, registry_client, worker_body

VILLAGE = "53.71.01.1003"
OFFICER = {"Authorization": f"Bearer {issue_token('village-officer', VILLAGE)}"}
PRINCIPAL = Principal(Role.VILLAGE_OFFICER, VILLAGE, "village-officer@" + VILLAGE)
SECRET = "batching-test-secret-0123456789"
# Serials far from the other registry test modules' (their NIKs must not collide with ours).
_serials = itertools.count(5_000)


def registration(**overrides: Any) -> dict[str, Any]:
    serial = next(_serials)
    born = date(1960, 1, 1) + timedelta(days=serial % 5_000 * 2)
    body = worker_body(serial, born, VILLAGE, name="Batch Worker")
    body.update(overrides)
    return body


def no_personal_data(text: str, body: dict[str, Any]) -> bool:
    return all(
        secret not in text
        for secret in (body["nik"], body["name"], body["birth_date"], body["nik"][6:12])
    )


@pytest.fixture(scope="module")
def spied_sizes() -> Iterator[list[int]]:
    """A spy on register_many, in place before this module's apps and group commits are made."""
    sizes: list[int] = []
    real = service.register_many

    async def spy(conn: asyncpg.Connection, batch: Sequence[service.Registration]) -> Any:
        sizes.append(len(batch))
        return await real(conn, batch)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "register_many", spy)
        yield sizes


@pytest.fixture
def batch_sizes(spied_sizes: list[int]) -> list[int]:
    """The size of every transaction the group commit runs during one test."""
    spied_sizes.clear()
    return spied_sizes


def registration_commit(pool: asyncpg.Pool, *, max_wait: float) -> service.Registrations:
    return service.Registrations(
        pool, service.register_many, max_wait=max_wait, name="registrations"
    )


dsn = fresh_database("services.registry")
db = connection()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(dsn: str, spied_sizes: list[int]) -> AsyncIterator[httpx.AsyncClient]:
    """The app without relay; a batch lingers 50 ms so requests sent together share it."""
    async with registry_client(offline_settings(dsn, registration_batch_wait_ms=50)) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def batcher(dsn: str, spied_sizes: list[int]) -> AsyncIterator[service.Registrations]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    batcher = registration_commit(pool, max_wait=0.05)
    with service_context("registry"):  # its tasks write the registry's events
        await batcher.start()
    try:
        yield batcher
    finally:
        await batcher.stop()
        await pool.close()


def queued(body: dict[str, Any], *, key: str | None = None) -> service.Registration:
    fingerprint = request_fingerprint("POST", "/v1/workers", body) if key else ""
    return service.registration(
        PRINCIPAL, WorkerIn.model_validate(body), secret=SECRET, key=key, fingerprint=fingerprint
    )


async def outbox_events(db: asyncpg.Connection, subject: str) -> list[Envelope]:
    rows = await db.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY position", subject)
    return [Envelope.model_validate_json(r["payload"]) for r in rows]


# Through HTTP --------------------------------------------------------------------------------
async def test_a_duplicate_pair_in_one_batch_is_one_201_and_one_409(client, db, batch_sizes):
    body = registration()
    metric_before = REGISTRY.get_sample_value("registry_duplicate_nik_total") or 0.0
    workers_before = await db.fetchval("SELECT count(*) FROM workers")
    with capture_logs() as entries:
        first, second = await asyncio.gather(
            client.post("/v1/workers", json=body, headers=OFFICER),
            client.post("/v1/workers", json={**body, "name": "Someone Else"}, headers=OFFICER),
        )
    assert batch_sizes == [2], (first.text, second.text)
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    created, refused = (first, second) if first.status_code == 201 else (second, first)
    worker_id = created.json()["id"]
    assert refused.json()["worker_id"] == worker_id
    assert "already registered" in refused.json()["detail"]
    assert no_personal_data(refused.text, body)
    assert await db.fetchval("SELECT count(*) FROM workers") == workers_before + 1
    assert [e.sequence for e in await outbox_events(db, worker_id)] == [1]
    # The registration, and the refused one as a probe naming the worker it hit.
    actions = await db.fetch(
        "SELECT action FROM audit_log WHERE worker_id = $1 ORDER BY action", uuid.UUID(worker_id)
    )
    assert [r["action"] for r in actions] == ["worker.register", "worker.register.duplicate"]
    assert REGISTRY.get_sample_value("registry_duplicate_nik_total") == metric_before + 1
    [warning] = [e for e in entries if e["event"] == "duplicate NIK refused"]
    assert warning["existing_worker_id"] == worker_id
    assert no_personal_data(repr(entries), body)


async def test_concurrent_registrations_keep_their_own_correlation_and_audit(
    client, db, batch_sizes
):
    bodies = [registration() for _ in range(60)]
    answers = await asyncio.gather(
        *(
            client.post(
                "/v1/workers", json=body, headers={**OFFICER, "X-Request-ID": f"batch-req-{i}"}
            )
            for i, body in enumerate(bodies)
        )
    )
    assert [a.status_code for a in answers] == [201] * 60
    assert max(batch_sizes) > 1 and sum(batch_sizes) == 60
    for i, answer in enumerate(answers):
        correlation_id = correlation_id_for(f"batch-req-{i}".encode())
        assert answer.headers["x-correlation-id"] == correlation_id
        worker_id = answer.json()["id"]
        [event] = await outbox_events(db, worker_id)
        assert event.correlation_id == correlation_id
        assert (event.sequence, event.area, event.type) == (1, VILLAGE, "worker-registered")
        audit = await db.fetchrow(
            "SELECT action, actor, correlation_id FROM audit_log WHERE worker_id = $1",
            uuid.UUID(worker_id),
        )
        assert dict(audit) == {
            "action": "worker.register",
            "actor": PRINCIPAL.sub,
            "correlation_id": correlation_id,
        }


async def test_one_key_twice_in_one_batch_registers_once_and_replays(client, db, batch_sizes):
    body = registration()
    headers = {**OFFICER, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    workers_before = await db.fetchval("SELECT count(*) FROM workers")
    first, second = await asyncio.gather(
        client.post("/v1/workers", json=body, headers=headers),
        client.post("/v1/workers", json=dict(reversed(body.items())), headers=headers),
    )
    assert batch_sizes[0] == 2, "both were queued together"
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    replayed = sorted(str(a.headers.get("idempotent-replayed")) for a in (first, second))
    assert replayed == ["None", "true"]
    assert await db.fetchval("SELECT count(*) FROM workers") == workers_before + 1


async def test_one_key_with_two_bodies_in_one_batch_is_one_201_and_one_422(client, db):
    headers = {**OFFICER, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    workers_before = await db.fetchval("SELECT count(*) FROM workers")
    answers = await asyncio.gather(
        client.post("/v1/workers", json=registration(), headers=headers),
        client.post("/v1/workers", json=registration(), headers=headers),
    )
    assert sorted(a.status_code for a in answers) == [201, 422]
    [refused] = [a for a in answers if a.status_code == 422]
    [error] = refused.json()["detail"]
    assert error["loc"] == ["header", "Idempotency-Key"]
    assert await db.fetchval("SELECT count(*) FROM workers") == workers_before + 1


# The group commit itself ----------------------------------------------------------------------
async def test_keys_are_checked_in_the_transaction_within_and_across_batches(
    batcher, db, batch_sizes
):
    key = f"k-{uuid.uuid4()}"
    body = registration()
    first, again = await asyncio.gather(
        batcher.submit(queued(body, key=key)), batcher.submit(queued(body, key=key))
    )
    assert batch_sizes == [2, 1], "the second under the key waits for the next transaction"
    assert isinstance(first, service.Registered)
    assert again == service.Replayed(
        StoredResponse(201, service.created(first.worker_id).model_dump(mode="json"))
    )
    later = await batcher.submit(queued(body, key=key))
    assert later == again, "a later batch replays the stored answer"
    with pytest.raises(IdempotencyKeyReused):
        await batcher.submit(queued(registration(), key=key))
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = $1", first.worker_id) == 1


def slipped_past_validation() -> service.Registration:
    """A registration the table's check refuses, and with it the whole batch it is in."""
    valid = queued(registration())
    return replace(valid, worker=replace(valid.worker, nik="not-a-nik"))


async def test_a_failing_batch_is_split_until_the_bad_registration_is_alone(
    batcher, db, batch_sizes
):
    good = [registration(), registration()]
    bad = slipped_past_validation()
    outcomes = await asyncio.gather(
        batcher.submit(queued(good[0])),
        batcher.submit(bad),
        batcher.submit(queued(good[1])),
        return_exceptions=True,
    )
    # [good, bad, good] fails; [good] and [bad, good] apart; [bad, good] fails; then alone.
    assert batch_sizes[0] == 3 and sorted(batch_sizes[1:]) == [1, 1, 1, 2]
    assert isinstance(outcomes[0], service.Registered)
    assert isinstance(outcomes[2], service.Registered)
    assert isinstance(outcomes[1], asyncpg.CheckViolationError)
    for outcome in (outcomes[0], outcomes[2]):
        assert isinstance(outcome, service.Registered)
        [event] = await outbox_events(db, str(outcome.worker_id))
        assert event.sequence == 1
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = $1", bad.worker.id) == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE key = $1", str(bad.worker.id)) == 0


async def test_one_bad_registration_costs_its_batch_a_few_transactions_not_one_each(
    batcher, db, batch_sizes
):
    goods = [queued(registration()) for _ in range(199)]
    batch = [*goods[:120], slipped_past_validation(), *goods[120:]]
    outcomes = await asyncio.gather(*(batcher.submit(r) for r in batch), return_exceptions=True)
    assert isinstance(outcomes[120], asyncpg.CheckViolationError)
    registered = [o for o in outcomes if isinstance(o, service.Registered)]
    assert len(registered) == 199
    # Written one by one, the 199 would have needed 199 more transactions; split in halves
    # around the bad one, about two per halving.
    assert sum(batch_sizes) >= 200 and len(batch_sizes) <= 2 + 2 * math.ceil(math.log2(200))
    ids = [o.worker_id for o in registered]
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = ANY($1)", ids) == 199


async def test_stop_writes_what_is_queued(dsn, db):
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    batcher = registration_commit(pool, max_wait=10)
    with service_context("registry"):
        await batcher.start()
    try:
        pending = asyncio.ensure_future(batcher.submit(queued(registration())))
        await asyncio.sleep(0)  # let it queue
        await batcher.stop()
        outcome = await pending
    finally:
        await pool.close()
    assert isinstance(outcome, service.Registered)
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = $1", outcome.worker_id)


# On the topic --------------------------------------------------------------------------------
async def test_200_concurrent_registrations_reach_the_topic_with_sequence_1(
    make_database, service_settings, kafka_bootstrap
):
    dsn = await make_database("services.registry")
    settings = service_settings(RegistrySettings, database_url=dsn)
    bodies = [registration() for _ in range(200)]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            answers = await asyncio.gather(
                *(client.post("/v1/workers", json=body, headers=OFFICER) for body in bodies)
            )
        assert [a.status_code for a in answers] == [201] * 200
        ids = {a.json()["id"]: body for a, body in zip(answers, bodies, strict=True)}
        records = await read_topic(
            kafka_bootstrap,
            "registry.worker.v1",
            until=lambda seen: ids.keys() <= {bytes(r.key).decode() for r in seen if r.key},
        )
    ours = [r for r in records if r.key is not None and bytes(r.key).decode() in ids]
    assert len(ours) == 200, "each registration published exactly once"
    for record in ours:
        envelope = Envelope.model_validate_json(record.value)
        body = ids[envelope.subject]
        assert (envelope.type, envelope.sequence, envelope.area) == (
            "worker-registered",
            1,
            VILLAGE,
        )
        assert no_personal_data(bytes(record.value).decode(), body)
