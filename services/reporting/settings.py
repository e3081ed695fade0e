"""Settings of the reporting service, read from ``REPORTING_*`` environment variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Reporting node settings; ``scope`` makes a node hold one area's subtree only."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
    service: ClassVar[str] = "reporting"
    default_port: ClassVar[int] = 8004

    database_url: str = "postgresql://postgres@127.0.0.1:5432/pantau_reporting"
    scope: str = Field(
        default="ID", description="area code this node holds (ID: the nation; 53: one province)"
    )
    consumer_name: str = Field(default="reporting", description="inbox and positions name")
    consumer_group: str | None = Field(
        default=None,
        description="Kafka consumer group; default reporting-<scope>. Every node (its own "
        "database) needs its own group, or the nodes would share the partitions.",
    )
    suppression_k: int = Field(default=5, ge=1, description="published cells below k are withheld")
    as_of_concurrency: int = Field(
        default=2,
        ge=1,
        description="as-of rebuilds (each reads every topic from the start) this process runs "
        "at once; another is answered 429 while they run",
    )
    publish_interval_seconds: float = Field(
        default=10.0, gt=0, description="how often changed areas are published to agencies"
    )
    publish_enabled: bool = True
    db_pool_min_size: int = Field(default=2, ge=0)
    # Larger batches net more deltas per ancestor row: a batch of 40,000 writes ~20% fewer rows
    # per event than one of 10,000 when catching up (bench/). A quiet log still gives small
    # batches, so figures are not held back. A batch holds at most what the fetches brought,
    # hence the larger fetches (up to 8 MiB per partition buffered per process).
    consumer_batch_size: int = Field(default=40_000, ge=1)
    consumer_fetch_bytes: int = Field(default=8 << 20, ge=1 << 16)

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.consumer_name}-{self.scope}"
