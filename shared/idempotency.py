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
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{principal}\x1f{key}"
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


async def purge(conn: asyncpg.Connection, *, older_than: timedelta) -> int:
    """Forget keys older than ``older_than`` (clients retry within minutes, not months)."""
    result = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", older_than
    )
    return int(result.split()[-1])
