"""The registry's settings, read from ``REGISTRY_*`` environment variables.

Besides the common service settings (``shared.settings.ServiceSettings``): the secret keying NIK
lookups (``REGISTRY_NIK_HMAC_SECRET``, set it in production and never change it, or duplicates
stop being found), the registration group commit, and the duplicate-NIK probe budget.
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
    limit_duplicate_nik: str = Field(
        default="5/hour;20/day",
        description="registrations refused as duplicate NIKs, per caller, before every "
        "registration of that caller is answered 429 (each such refusal reveals that the person "
        "is registered somewhere)",
    )
    registration_batch_size: int = Field(
        default=256, ge=1, description="most registrations written in one transaction"
    )
    registration_batch_wait_ms: float = Field(
        default=2.0, ge=0, description="how long a batch waits for more registrations"
    )
