"""The registry's settings, read from ``REGISTRY_*`` environment variables.

Besides the common service settings: the secret keying NIK lookups (``REGISTRY_NIK_HMAC_SECRET``,
set it in production and never change it, or duplicates stop being found), and switches that let
tests and one-off tools run the service without the outbox relay or without migrating on start.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEV_NIK_HMAC_SECRET = "pantau-dev-nik-secret-change-me"


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")
    service: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8001

    database_url: str = "postgresql://postgres@127.0.0.1:5432/pantau_registry"
    nik_hmac_secret: str = Field(
        default=DEV_NIK_HMAC_SECRET,
        min_length=16,
        description="keys the NIK hash used to find duplicates; must stay constant",
    )
    relay_enabled: bool = Field(default=True, description="publish the outbox from this process")
    migrate_on_start: bool = Field(default=True, description="apply missing migrations on start")
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    registration_batch_size: int = Field(
        default=256, ge=1, description="most registrations written in one transaction"
    )
    registration_batch_wait_ms: float = Field(
        default=2.0, ge=0, description="how long a batch waits for more registrations"
    )
    idempotency_retention_hours: float = Field(
        default=72, gt=0, description="Idempotency-Keys older than this are forgotten"
    )
