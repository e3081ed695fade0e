"""The AsyncAPI 3.0 document of Pantau's topics, generated from the contract models.

Agencies read it to subscribe; ``docs/asyncapi.json`` is this document, checked by a test so the
published description cannot drift from the code.
"""

from __future__ import annotations

import json
from typing import Any

from shared.contract.envelope import Envelope
from shared.contract.events import EVENT_MODELS, TOPIC_OF_TYPE
from shared.contract.topics import Topic, dlq_topic

_REF_PREFIX = "#/components/schemas/"


def _schema(model: type[Any], definitions: dict[str, Any]) -> dict[str, Any]:
    schema = dict(model.model_json_schema(ref_template=_REF_PREFIX + "{model}"))
    definitions.update(schema.pop("$defs", {}))
    return schema


def _message_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


def build_asyncapi() -> dict[str, Any]:
    """The whole document as a JSON-ready dict (stable key order)."""
    schemas: dict[str, Any] = {}
    envelope = _schema(Envelope, schemas)
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for (event_type, version), model in sorted(EVENT_MODELS.items()):
        name = _message_name(event_type, version)
        schemas[model.__name__] = _schema(model, schemas)
        payload = json.loads(json.dumps(envelope))
        payload["properties"]["type"] = {"const": event_type, "type": "string"}
        payload["properties"]["version"] = {"const": version, "type": "integer"}
        payload["properties"]["data"] = {"$ref": _REF_PREFIX + model.__name__}
        messages[name] = {
            "name": name,
            "title": event_type,
            "summary": (model.__doc__ or event_type).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "event-id": {"type": "string", "format": "uuid"},
                    "event-type": {"type": "string", "const": event_type},
                },
            },
            "payload": payload,
        }
    for topic in Topic:
        names = sorted(_message_name(t, v) for (t, v) in EVENT_MODELS if TOPIC_OF_TYPE[t] == topic)
        key = topic.value.replace(".", "_").replace("-", "_")
        channels[key] = {
            "address": topic.value,
            "description": "Kafka key: the event's subject. One JSON envelope per record.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
        }
        channels[key + "_dlq"] = {
            "address": dlq_topic(topic.value),
            "description": "Records a consumer could not process, unchanged, with error headers "
            "dlq-error, dlq-source-topic, dlq-source-partition, dlq-source-offset, dlq-consumer.",
        }
        operations[f"receive_{key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"Subscribe to {topic.value}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Pantau events",
            "version": "1.0.0",
            "description": "Events Pantau's services publish. Payloads never carry personal "
            "data: pseudonymous ids, area codes and categories only. Consumers deduplicate on "
            "`id` and ignore unknown fields; a breaking change raises `version`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    return json.dumps(build_asyncapi(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
