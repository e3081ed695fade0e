"""The alerts service's settings, read from ``ALERTS_*`` environment variables.

:class:`RuleSettings` holds the rules' thresholds (defaults: docs/contract.md), e.g.
``ALERTS_CASE_DEADLINE_NEAR_DAYS=7``; the rules core reads only these, so it can be built and
tested without a service. :class:`AlertsSettings` is the service's: the common service settings
(``ALERTS_DATABASE_URL``, ``ALERTS_KAFKA_BOOTSTRAP_SERVERS``, …), the thresholds, and the
clock loop's and the live stream's own.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class RuleSettings(BaseSettings):
    """Thresholds of the alert rules: each named after its rule."""

    model_config = SettingsConfigDict(env_prefix="ALERTS_", extra="ignore", frozen=True)

    case_unassigned_hours: float = Field(
        default=72, gt=0, le=24 * 365, description="a case not assigned this long after opening"
    )
    case_unassigned_urgent_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 365,
        description="the same for trafficking, sexual harassment and any GBV type",
    )
    case_deadline_near_days: int = Field(
        default=5, ge=1, le=365, description="warn this many days before a case's deadline ends"
    )
    agency_hotspot_villages: int = Field(
        default=3, ge=2, le=10_000, description="villages naming one agency within the window"
    )
    agency_hotspot_window_days: int = Field(default=30, ge=1, le=366)
    village_surge_factor: float = Field(
        default=3.0,
        gt=1,
        le=1_000,
        description="a village's cases per registered worker at least this many times its "
        "regency's",
    )
    village_surge_min_cases: int = Field(
        default=3, ge=1, le=10_000, description="and at least this many cases in the window"
    )
    village_surge_window_days: int = Field(default=30, ge=1, le=366)
    return_overdue_grace_days: int = Field(
        default=30, ge=0, le=3_650, description="days after contract_end before a return is overdue"
    )


class AlertsSettings(ServiceSettings, RuleSettings):
    """The service: where its database and broker are, the thresholds, the clock and stream."""

    model_config = SettingsConfigDict(env_prefix="ALERTS_", extra="ignore", frozen=False)
    service: ClassVar[str] = "alerts"
    default_port: ClassVar[int] = 8003

    database_url: str = "postgresql://postgres@127.0.0.1:5432/pantau_alerts"
    # Alerts must be told within seconds, and the broker of `pantau dev` and the tests (Tansu)
    # holds a fetch for this long even when records arrive meanwhile (Apache Kafka does not).
    consumer_fetch_max_wait_ms: int = Field(default=10, ge=1, le=60_000)
    # A replay (a new database, a restart after a long stop) commits fewer, larger batches;
    # a live log still gives small ones at once.
    consumer_batch_size: int = Field(default=10_000, ge=1)
    consumer_fetch_bytes: int = Field(default=4 << 20, ge=1 << 16)
    consumer_group: str = Field(
        default="alerts",
        description="Kafka consumer group of the rules (one group per alerts database)",
    )
    clock_max_sleep_seconds: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="the clock loop looks at the due checks at least this often (it also wakes "
        "at the next due time and after every change)",
    )
    catch_up_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="how often the clock loop checks, at start, whether the consumer has "
        "caught up with the topics",
    )
    stream_keepalive_seconds: float = Field(
        default=15,
        gt=0,
        le=300,
        description="a comment line on an idle live stream this often (proxies keep it open)",
    )
    stream_lifetime_seconds: float = Field(
        default=3600,
        gt=0,
        le=86_400,
        description="a live stream ends after this long; the client reconnects (with "
        "Last-Event-ID, missing nothing) and shows its token again",
    )
    stream_buffer: int = Field(
        default=5_000,
        ge=100,
        le=1_000_000,
        description="the latest alert changes each process keeps in memory for its live streams "
        "(a client further behind reads from the database)",
    )
    limit_stream_connects: str = Field(
        default="30/minute;300/hour",
        description="live-stream connections per caller and per client address (a "
        "reconnecting client stays far below)",
    )
