"""Settings read from the environment: one prefix per service (``REGISTRY_``, ``REPORTING_`` …).

Example: ``REGISTRY_DATABASE_URL``, ``REGISTRY_KAFKA_BOOTSTRAP_SERVERS``,
``REGISTRY_KAFKA_IDEMPOTENCE=false`` (Tansu cannot do idempotent producers; Apache Kafka can).
The token secret is common to all services: ``PANTAU_TOKEN_SECRET``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_SECRET = "pantau-dev-secret-change-me-in-production"
DEV_MODE_VARIABLE = "PANTAU_DEV"
_DEV_SECRET_MARK = "pantau-dev-"


def development_secrets_in_use(*settings: BaseSettings) -> list[str]:
    """Names of secret settings still holding the public development defaults.

    Every development default starts with ``pantau-dev-``: anyone who has read the repository
    knows them, so a service started for real with one would accept forged tokens.
    """
    found = []
    for item in settings:
        prefix = str(item.model_config.get("env_prefix", "")).upper()
        for name in type(item).model_fields:
            value = getattr(item, name)
            secret = name.endswith("secret") and isinstance(value, str)
            if secret and value.startswith(_DEV_SECRET_MARK):
                found.append(f"{prefix}{name.upper()}")
    return found


class AuthSettings(BaseSettings):
    """Token signing, shared by every service and by ``pantau token``."""

    model_config = SettingsConfigDict(env_prefix="PANTAU_", extra="ignore")

    token_secret: str = Field(default=DEV_TOKEN_SECRET, min_length=16)
    token_ttl_seconds: int = Field(default=8 * 3600, ge=60)


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
    relay_batch_size: int = Field(default=2_000, ge=1)
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    consumer_batch_size: int = Field(default=2_000, ge=1)
    consumer_fetch_bytes: int = Field(
        default=1 << 20,
        ge=1 << 16,
        description="most bytes fetched per partition per request (Kafka's "
        "max.partition.fetch.bytes); a batch holds at most what the fetches brought",
    )

    @property
    def http_port(self) -> int:
        return self.port or self.default_port
