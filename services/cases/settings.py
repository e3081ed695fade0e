"""The cases service's settings, read from ``CASES_*`` environment variables.

Besides the common service settings (``shared.settings.ServiceSettings``, whose
``CASES_LIMIT_PUBLIC_WRITES`` bounds the reports sent without an account per address): how long
a break-the-glass grant lasts and how many grants a caller may make, how often a receipt may be
looked up per address, the group commit of case intake, and the batch size of the worker
replica's consumer.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")
    service: ClassVar[str] = "cases"
    default_port: ClassVar[int] = 8002

    database_url: str = "postgresql://postgres@127.0.0.1:5432/pantau_cases"
    break_glass_hours: float = Field(
        default=3, gt=0, le=24, description="how long a break-the-glass grant opens a case file"
    )
    limit_break_glass: str = Field(
        default="10/day",
        description="break-the-glass grants per caller (POST /v1/cases/{id}/break-glass); "
        "a caller whose budget is spent is answered 429 whatever the case",
    )
    limit_public_reads: str = Field(
        default="30/minute;300/hour",
        description="receipt look-ups (GET /v1/reports/{receipt}) per client address",
    )
    intake_batch_size: int = Field(
        default=256, ge=1, description="most new cases written in one transaction"
    )
    intake_batch_wait_ms: float = Field(
        default=2.0, ge=0, description="how long an intake batch waits for more cases"
    )
    replica_batch_size: int = Field(
        default=20_000,
        ge=1,
        description="most registry.worker.v1 records the worker replica applies per transaction "
        "(a large batch folds a worker's events into one row write; a catch-up after a restart "
        "reads the whole topic)",
    )
    consumer_fetch_bytes: int = Field(
        default=4 << 20,
        ge=1 << 16,
        description="most bytes fetched per partition per request: enough for a replica batch",
    )
