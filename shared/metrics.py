"""Prometheus metrics of the messaging plumbing (relay and consumers), in the default registry.

Defined once per process at import: several relays or consumers in one process (tests, ``pantau
dev``) share them and are told apart by their labels.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_PUBLISHED = Counter(
    "pantau_outbox_published_total",
    "Outbox rows published to the broker (acknowledged) and deleted",
    ["service"],
)
OUTBOX_LAG = Gauge(
    "pantau_outbox_lag",
    "Unpublished outbox rows seen by the active relay at its last look",
    ["service"],
)
OUTBOX_RELAY_ACTIVE = Gauge(
    "pantau_outbox_relay_active",
    "1 while this process holds the relay lock of its database, 0 while standby",
    ["service"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "pantau_outbox_publish_failures_total",
    "Relay batches that were not acknowledged and will be retried",
    ["service"],
)
CONSUMED_EVENTS = Counter(
    "pantau_consumer_events_total",
    "Records seen by an idempotent consumer, by outcome (applied, duplicate, dead_lettered,"
    " ignored: an event type this contract does not define)",
    ["consumer", "outcome"],
)
CONSUMER_RETRIES = Counter(
    "pantau_consumer_transient_errors_total",
    "Batches retried after a transient (database connection) error",
    ["consumer"],
)
CONSUMER_STUCK_SECONDS = Gauge(
    "pantau_consumer_stuck_seconds",
    "Seconds a consumer has been retrying the same batch (a handler bug or a fault of the"
    " system, e.g. a missing table, or a transient error that does not clear); 0 while it makes"
    " progress. Updated at each retry: alert when it stays above a few minutes.",
    ["consumer"],
)
