"""Prometheus counters of the registry (served at /metrics by shared.health)."""

from __future__ import annotations

from prometheus_client import Counter

DUPLICATE_NIK = Counter(
    "registry_duplicate_nik_total",
    "Registrations refused because the NIK is already registered",
)
EVENTS_RECORDED = Counter(
    "registry_events_recorded_total",
    "Events appended to the outbox, by type",
    ["type"],
)
FEES_BY_LEGALITY = Counter(
    "registry_fees_recorded_total",
    "Fees recorded, by legality under the zero-cost rule",
    ["legality"],
)
