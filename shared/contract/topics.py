"""Topic names (a promise to subscribers) and the partition counts Pantau creates them with."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    WORKER = "registry.worker.v1"
    AGENCY = "registry.agency.v1"
    CASE = "cases.case.v1"
    ALERT = "alerts.alert.v1"
    AREA_SUMMARY = "reporting.area-summary.v1"


DLQ_SUFFIX = ".dlq"

# Created explicitly: a FastStream subscriber would otherwise create a missing topic with one
# partition. Keys are subjects, so more partitions never break per-subject order.
PARTITIONS: dict[str, int] = {
    Topic.WORKER: 6,
    Topic.AGENCY: 2,
    Topic.CASE: 6,
    Topic.ALERT: 3,
    Topic.AREA_SUMMARY: 3,
}


def dlq_topic(topic: str) -> str:
    """The dead-letter topic for ``topic``: records a consumer could not process, unchanged."""
    return f"{topic}{DLQ_SUFFIX}"


def all_topics() -> dict[str, int]:
    """Every topic with its partition count, dead-letter topics included (1 partition each)."""
    topics = dict(PARTITIONS)
    topics.update({dlq_topic(name): 1 for name in PARTITIONS})
    return topics
