"""Idempotency-Key for write endpoints: the same key and the same request give the same answer once.

A client that retries a write (a timeout, a dropped connection) sends the same ``Idempotency-Key``
header. Inside the write's own transaction the service calls :func:`begin`; the first request
runs and :meth:`IdempotentWrite.record` stores its status and body in ``idempotency_keys``
(shared/sql/003_idempotency.sql) *in that same transaction*, so a key is stored if and only if the
write committed. A later request with the same key, the same principal and the same request
fingerprint gets the stored answer back and writes nothing; the same key with a different request
raises :class:`IdempotencyKeyReused` (answer 422).

Concurrent duplicates are serialised by a transaction-scoped advisory lock on (principal, key):
the second waits for the first to commit, then replays its answer. A request that fails rolls its
transaction back, so its key is not stored and a retry is evaluated afresh.

Writes committed in groups (many requests, one transaction) use :func:`lookup` before queuing
and :func:`lock_many`, :func:`stored_many` and :func:`record_many` in the group's transaction:
the same locks, the same rows, the same answers.

Usage::

    fingerprint = request_fingerprint("POST", "/v1/things", body)
    async with conn.transaction():
        write = await begin(conn, principal=who, key=key, fingerprint=fingerprint)
        if write.replay is not None:
            return write.replay            # nothing else happens
        result = ...                       # the state change
        await write.record(201, result)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import Header
from pydantic import BaseModel

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII: keys end up in logs and headers

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=_KEY_PATTERN,
        description="Optional. Retrying a write with the same key and the same body returns "
        "the first answer (header `Idempotent-Replayed: true`) and writes nothing; the same key "
        "with a different body is refused with 422. 1-255 visible ASCII characters, e.g. a UUID.",
        examples=["5f1c9d1e-2b7a-4d8e-9a41-7c0b3e2f6a10"],
    ),
]


class IdempotencyKeyReused(ValueError):
    """The key was already used by this principal for a different request."""

    def __init__(self) -> None:
        super().__init__(
            f"this {HEADER} was already used for a different request; "
            "use a new key for a new request"
        )


@dataclass(frozen=True)
class StoredResponse:
    """The first answer given under a key."""

    status_code: int
    body: Any


def request_fingerprint(method: str, path: str, body: BaseModel | Any) -> str:
    """SHA-256 over the method, the path and the body in canonical JSON (key order ignored)."""
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def validate_key(key: str) -> str:
    if not re.match(_KEY_PATTERN, key):
        raise ValueError(f"{HEADER} must be 1-{MAX_KEY_LENGTH} visible ASCII characters")
    return key


class IdempotentWrite:
    """One write under (possibly) a key: either a replay, or a fresh write to record."""

    def __init__(
        self,
        conn: asyncpg.Connection | None,
        principal: str,
        key: str | None,
        fingerprint: str,
        replay: StoredResponse | None,
    ) -> None:
        self._conn = conn
        self._principal = principal
        self._key = key
        self._fingerprint = fingerprint
        self.replay = replay

    @property
    def key(self) -> str | None:
        return self._key

    async def record(self, status_code: int, body: BaseModel | Any) -> None:
        """Store the answer (in the caller's transaction); a no-op without a key."""
        if self._conn is None or self._key is None:
            return
        if self.replay is not None:
            raise RuntimeError("a replayed request must not be recorded again")
        payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        await self._conn.execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response)"
            " VALUES ($1, $2, $3, $4, $5::jsonb)",
            self._principal,
            self._key,
            self._fingerprint,
            status_code,
            json.dumps(payload, default=str),
        )


async def begin(
    conn: asyncpg.Connection, *, principal: str, key: str | None, fingerprint: str
) -> IdempotentWrite:
    """Look the key up under a lock held until the caller's transaction ends.

    Returns a write whose ``replay`` is the stored answer when this exact request was already
    answered; raises :class:`IdempotencyKeyReused` when the key served a different request.
    """
    if key is None:
        return IdempotentWrite(None, principal, None, fingerprint, None)
    if not conn.is_in_transaction():
        raise RuntimeError("idempotency.begin must run inside the write's transaction")
    validate_key(key)
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lock_name(principal, key)
    )
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys"
        " WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    if row is None:
        return IdempotentWrite(conn, principal, key, fingerprint, None)
    if row["request_hash"] != fingerprint:
        raise IdempotencyKeyReused()
    stored = StoredResponse(row["status_code"], json.loads(row["response"]))
    return IdempotentWrite(conn, principal, key, fingerprint, stored)


def lock_name(principal: str, key: str) -> str:
    """The text whose hash names the advisory lock of (principal, key)."""
    return f"{principal}\x1f{key}"


async def lookup(
    conn: asyncpg.Connection, *, principal: str, key: str, fingerprint: str
) -> StoredResponse | None:
    """The stored answer to this exact request, if any, read without the lock.

    A fast path for writes that are queued (group commit) rather than run at once: a key seen
    here is answered before queuing. A miss proves nothing (a concurrent write may be under
    way), so the write's transaction must still check under the lock (:func:`lock_many`,
    :func:`stored_many`). Raises :class:`IdempotencyKeyReused` like :func:`begin`.
    """
    validate_key(key)
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys"
        " WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    if row is None:
        return None
    if row["request_hash"] != fingerprint:
        raise IdempotencyKeyReused()
    return StoredResponse(row["status_code"], json.loads(row["response"]))


async def lock_many(conn: asyncpg.Connection, scoped: Sequence[tuple[str, str]]) -> None:
    """Take the advisory locks of several (principal, key) pairs, as :func:`begin` takes one.

    They are taken in the order of their hashes, so two transactions locking overlapping sets
    cannot deadlock on each other.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("idempotency.lock_many must run inside the write's transaction")
    if not scoped:
        return
    await conn.execute(
        "SELECT count(pg_advisory_xact_lock(h)) FROM"
        " (SELECT DISTINCT hashtextextended(n, 0) AS h FROM unnest($1::text[]) AS n ORDER BY h)"
        " AS locks",
        [lock_name(principal, key) for principal, key in scoped],
    )


async def stored_many(
    conn: asyncpg.Connection, scoped: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, StoredResponse]]:
    """(request fingerprint, stored answer) of each (principal, key) already answered."""
    if not scoped:
        return {}
    rows = await conn.fetch(
        "SELECT k.principal, k.key, k.request_hash, k.status_code, k.response"
        " FROM idempotency_keys AS k"
        " JOIN unnest($1::text[], $2::text[]) AS s (principal, key)"
        " ON k.principal = s.principal AND k.key = s.key",
        [principal for principal, _ in scoped],
        [key for _, key in scoped],
    )
    return {
        (r["principal"], r["key"]): (
            r["request_hash"],
            StoredResponse(r["status_code"], json.loads(r["response"])),
        )
        for r in rows
    }


@dataclass(frozen=True)
class Answer:
    """An answer to store under a key (see :func:`record_many`)."""

    principal: str
    key: str
    fingerprint: str
    status_code: int
    body: Any


async def record_many(conn: asyncpg.Connection, answers: Sequence[Answer]) -> None:
    """Store several answers in the caller's transaction (each key locked by :func:`lock_many`)."""
    if not answers:
        return
    await conn.execute(
        "INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[])",
        [a.principal for a in answers],
        [a.key for a in answers],
        [a.fingerprint for a in answers],
        [a.status_code for a in answers],
        [json.dumps(a.body, default=str) for a in answers],
    )


async def purge(conn: asyncpg.Connection, *, older_than: timedelta) -> int:
    """Forget keys older than ``older_than`` (clients retry within minutes, not months)."""
    result = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", older_than
    )
    return int(result.split()[-1])
