"""docs/asyncapi.json is exactly what the contract models generate."""

from pathlib import Path

from shared.contract.asyncapi import build_asyncapi, render
from shared.contract.events import EVENT_MODELS


def test_committed_document_matches_the_code():
    committed = Path(__file__).parents[2] / "docs" / "asyncapi.json"
    assert committed.read_text() == render(), (
        "regenerate: python -m shared.contract.asyncapi > docs/asyncapi.json"
    )


def test_every_event_type_is_documented_on_its_topic():
    document = build_asyncapi()
    assert set(document["components"]["messages"]) == {f"{t}.v{v}" for t, v in EVENT_MODELS}
    worker = document["channels"]["registry_worker_v1"]
    assert worker["address"] == "registry.worker.v1"
    assert "worker-registered.v1" in worker["messages"]
    assert document["channels"]["registry_worker_v1_dlq"]["address"] == "registry.worker.v1.dlq"
