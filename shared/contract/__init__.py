"""The public contract: what travels on Pantau's topics (described in docs/contract.md)."""

from shared.contract.envelope import Envelope, new_event
from shared.contract.events import EVENT_MODELS, UnknownEventVersion, parse_data
from shared.contract.topics import Topic, dlq_topic

__all__ = [
    "EVENT_MODELS",
    "Envelope",
    "Topic",
    "UnknownEventVersion",
    "dlq_topic",
    "new_event",
    "parse_data",
]
