"""Settings read from the environment: one prefix per service (``REGISTRY_``, ``REPORTING_`` …).

Example: ``REGISTRY_DATABASE_URL``, ``REGISTRY_KAFKA_BOOTSTRAP_SERVERS``,
``REGISTRY_KAFKA_IDEMPOTENCE=false`` (Tansu cannot do idempotent producers; Apache Kafka can).
The token secret is common to all services: ``PANTAU_TOKEN_SECRET``.

Secrets (every setting whose name ends in ``secret``) must be strong outside development
(:func:`secret_problems`): the app builder refuses to start otherwise, with one line naming the
setting and what is wrong. Development (``PANTAU_DEV=1``, set by ``pantau dev``) may use the
repository's public defaults.
"""

from __future__ import annotations

import os
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_SECRET = "pantau-dev-secret-change-me-in-production"
DEV_MODE_VARIABLE = "PANTAU_DEV"
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 12
# Words that make a secret guessable whatever surrounds them.
_WEAK_PARTS = (
    "password",
    "passwd",
    "secret",
    "changeme",
    "change-me",
    "pantau",
    "admin",
    "qwerty",
    "letmein",
    "123456",
    "abcdef",
    "example",
)


def development_mode() -> bool:
    """True on a development machine (``PANTAU_DEV=1``)."""
    return os.environ.get(DEV_MODE_VARIABLE, "").lower() in {"1", "true", "yes"}


def secret_weakness(value: str) -> str | None:
    """What makes ``value`` a weak secret, or None when it is strong enough.

    Strong: at least 32 characters, at least 12 different ones, no character making up more
    than a quarter of it, and none of the words every guesser tries first (``password``,
    ``secret``, ``pantau`` …). ``openssl rand -hex 32`` passes.
    """
    if len(value) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return f"fewer than {MIN_SECRET_DISTINCT} different characters"
    if max(value.count(c) for c in set(value)) * 4 > len(value):
        return "one character makes up more than a quarter of it"
    lowered = value.lower()
    for part in _WEAK_PARTS:
        if part in lowered:
            return f"contains the guessable word {part!r}"
    return None


def secret_problems(*settings: BaseSettings) -> list[str]:
    """One line per weak secret setting (``PANTAU_TOKEN_SECRET is shorter than …``)."""
    found = []
    for item in settings:
        prefix = str(item.model_config.get("env_prefix", "")).upper()
        for name in type(item).model_fields:
            value = getattr(item, name)
            if name.endswith("secret") and isinstance(value, str):
                weakness = secret_weakness(value)
                if weakness is not None:
                    found.append(f"{prefix}{name.upper()} is {_is(weakness)}")
    return found


def _is(weakness: str) -> str:
    return weakness if weakness.startswith(("shorter", "fewer")) else f"weak: {weakness}"


class AuthSettings(BaseSettings):
    """Token signing, shared by every service and by ``pantau token``."""

    model_config = SettingsConfigDict(env_prefix="PANTAU_", extra="ignore")

    token_secret: str = Field(default=DEV_TOKEN_SECRET, min_length=16)
    token_ttl_seconds: int = Field(
        default=8 * 3600, ge=60, description="how long a token, and so a page's session, lasts"
    )
    sign_in_url: str | None = Field(
        default=None,
        pattern=r"^(https://|/)[\x21-\x7e]{0,500}$",
        description="outside development, where the sign-in page sends people to sign in "
        "(the identity provider's entry, see deploy/README.md); unset: the page says that "
        "signing in is not configured",
    )


class ServiceSettings(BaseSettings):
    """What every service needs; subclasses set ``service`` and the env prefix."""

    model_config = SettingsConfigDict(extra="ignore")
    service: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000

    database_url: str = "postgresql://postgres@127.0.0.1:5432/pantau"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_idempotence: bool = Field(
        default=True, description="idempotent producer: on for Apache Kafka, off for Tansu"
    )
    kafka_session_timeout_ms: int = 10_000
    host: str = "127.0.0.1"
    port: int | None = None
    workers: int = Field(
        default=1,
        ge=1,
        description="server processes; each also runs the service's consumers, as members of "
        "the same consumer group (the partitions are shared out among them)",
    )
    log_json: bool | None = Field(default=None, description="None: JSON unless on a terminal")
    log_level: str = "INFO"
    relay_enabled: bool = Field(default=True, description="publish the outbox from this process")
    migrate_on_start: bool = Field(default=True, description="apply missing migrations on start")
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    idempotency_retention_hours: float = Field(
        default=72, gt=0, description="Idempotency-Keys older than this are forgotten"
    )
    access_log: bool = Field(
        default=True, description="one log line per request (method, route, status, duration)"
    )
    rate_limits_enabled: bool = Field(default=True, description="false: no 429 at all (tests)")
    limit_auth_failures: str = Field(
        default="30/minute",
        description="requests without a valid token, per client address, before 429",
    )
    limit_expensive_reads: str = Field(
        default="20/minute;200/hour",
        description="calls of expensive routes, per caller and per client address",
    )
    limit_public_writes: str = Field(
        default="10/minute;100/hour", description="writes needing no account, per client address"
    )
    limit_public_reads: str = Field(
        default="120/minute;2000/hour",
        description="reads needing no account (the sign-in page's area search; cases lowers it "
        "for receipt look-ups), per client address",
    )
    limit_sign_in: str = Field(
        default="10/minute;100/hour", description="sign-in attempts, per client address"
    )
    relay_batch_size: int = Field(default=2_000, ge=1)
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    consumer_batch_size: int = Field(default=2_000, ge=1)
    consumer_fetch_max_wait_ms: int = Field(
        default=500,
        ge=1,
        le=60_000,
        description="how long the broker may hold a fetch that has nothing new (Kafka's "
        "fetch.max.wait.ms). Apache Kafka answers as soon as a record arrives; Tansu answers "
        "only when this runs out, so it bounds how soon a consumer there sees a new record",
    )
    consumer_fetch_bytes: int = Field(
        default=1 << 20,
        ge=1 << 16,
        description="most bytes fetched per partition per request (Kafka's "
        "max.partition.fetch.bytes); a batch holds at most what the fetches brought",
    )

    @field_validator("*")
    @classmethod
    def _rate_limits_parse(cls, value: object, info: object) -> object:
        name = getattr(info, "field_name", "") or ""
        if name.startswith("limit_"):
            from limits import parse_many

            try:
                parse_many(str(value))
            except ValueError as exc:
                raise ValueError(
                    "a rate limit like 20/minute (several: 20/minute;200/hour)"
                ) from exc
        return value

    @property
    def http_port(self) -> int:
        return self.port or self.default_port
