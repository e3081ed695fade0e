"""The rules' thresholds, read from ``ALERTS_*`` environment variables (defaults: docs/contract.md).

Example: ``ALERTS_CASE_DEADLINE_NEAR_DAYS=7``. The service's own settings (database, broker, port)
will join these when the service is wired; the thresholds are kept apart so the rules core can
be built and tested without them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
