"""Prometheus counters of the registry (served at /metrics; events recorded are counted by the
kit as ``pantau_events_recorded_total``)."""

from __future__ import annotations

from prometheus_client import Counter

DUPLICATE_NIK = Counter(
    "registry_duplicate_nik_total",
    "Registrations refused because the NIK is already registered (each is audited as a probe)",
)
DUPLICATE_NIK_LIMITED = Counter(
    "registry_duplicate_nik_limited_total",
    "Registrations refused with 429 because the caller spent its duplicate-NIK budget",
)
FEES_BY_LEGALITY = Counter(
    "registry_fees_recorded_total",
    "Fees recorded, by legality under the zero-cost rule",
    ["legality"],
)
SERVICES_BY_KIND = Counter(
    "registry_services_recorded_total",
    "Services delivered to workers and their families, recorded, by kind",
    ["kind"],
)
