"""The envelope and event models keep the public contract (docs/contract.md)."""

import json
import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from shared.contract import Envelope, UnknownEventVersion, new_event, parse_data
from shared.contract.codes import (
    REGULATION_OCCUPATIONS,
    ZERO_COST_COMPONENTS,
    ZERO_COST_OCCUPATIONS,
    Occupation,
)
from shared.contract.events import EVENT_MODELS, TOPIC_OF_TYPE, WorkerRegistered
from shared.contract.topics import Topic, all_topics, dlq_topic


def registered(**overrides):
    data = WorkerRegistered(
        sex="female", birth_year=1990, procedural=True, registered_on=date.today()
    )
    fields = dict(
        type="worker-registered",
        source="registry",
        subject=str(uuid.uuid4()),
        sequence=1,
        area="53.71.01.1001",
        data=data,
    )
    fields.update(overrides)
    return new_event(**fields)


def test_wire_form_has_every_envelope_field_and_utc_time():
    wire = json.loads(registered().to_json())
    assert set(wire) == {
        "id",
        "type",
        "version",
        "source",
        "subject",
        "sequence",
        "time",
        "area",
        "correlation_id",
        "causation_id",
        "data",
    }
    assert wire["time"].endswith("Z")
    assert wire["data"] == {
        "sex": "female",
        "birth_year": 1990,
        "procedural": True,
        "occupation": None,
        "registered_on": date.today().isoformat(),
    }


def test_headers_repeat_id_and_type():
    event = registered()
    assert event.headers() == {"event-id": str(event.id), "event-type": "worker-registered"}


def test_round_trip_ignores_unknown_fields():
    wire = json.loads(registered().to_json())
    wire["future_field"] = 1
    wire["data"]["future_data"] = "x"
    event = Envelope.model_validate(wire)
    assert isinstance(parse_data(event), WorkerRegistered)


@pytest.mark.parametrize(
    "change",
    [{"type": "WorkerRegistered"}, {"sequence": 0}, {"area": "53.7"}, {"source": "billing"}],
)
def test_envelope_rejects_what_the_contract_forbids(change):
    wire = json.loads(registered().to_json())
    wire.update(change)
    with pytest.raises(ValidationError):
        Envelope.model_validate(wire)


def test_unknown_version_is_refused_for_the_dead_letter_topic():
    with pytest.raises(UnknownEventVersion):
        parse_data(registered(version=2))


def test_every_event_type_has_a_topic_and_kebab_case_past_tense_name():
    for event_type, _version in EVENT_MODELS:
        assert event_type in TOPIC_OF_TYPE
        assert event_type == event_type.lower() and "-" in event_type


def test_topics_and_dead_letter_topics():
    topics = all_topics()
    assert topics["registry.worker.v1"] > 1
    assert (
        dlq_topic(Topic.WORKER) == "registry.worker.v1.dlq" and topics[dlq_topic(Topic.WORKER)] == 1
    )
    assert {t.value for t in Topic} == {
        "registry.worker.v1",
        "registry.agency.v1",
        "cases.case.v1",
        "alerts.alert.v1",
        "reporting.area-summary.v1",
    }


def test_zero_cost_lists_match_the_regulation():
    assert len(ZERO_COST_COMPONENTS) == 14
    assert len(REGULATION_OCCUPATIONS) == 10
    # The household caregiver is under the rule too; the institutional one is not.
    assert REGULATION_OCCUPATIONS | {Occupation.CAREGIVER} == ZERO_COST_OCCUPATIONS
    assert Occupation.INSTITUTIONAL_CAREGIVER not in ZERO_COST_OCCUPATIONS


def test_an_event_model_declares_its_type_version_and_topic_in_one_place():
    from shared.contract.events import EventData

    class SomethingHappened(EventData, type="something-happened", topic=Topic.WORKER):
        note: str

    try:
        assert EVENT_MODELS[("something-happened", 1)] is SomethingHappened
        assert (SomethingHappened.event_type, SomethingHappened.event_version) == (
            "something-happened",
            1,
        )
        envelope = new_event(
            source="registry",
            subject="s",
            sequence=1,
            area="ID",
            data=SomethingHappened(note="n"),
        )
        assert (envelope.type, envelope.version) == ("something-happened", 1)
        with pytest.raises(TypeError, match="already defined"):

            class Again(EventData, type="something-happened", topic=Topic.WORKER):
                pass

        with pytest.raises(TypeError, match="needs its topic"):

            class NoTopic(EventData, type="topicless-happened"):
                pass
    finally:
        del EVENT_MODELS[("something-happened", 1)]


def test_a_plain_dict_payload_needs_an_explicit_type():
    with pytest.raises(TypeError, match="explicit type"):
        new_event(source="registry", subject="s", sequence=1, area="ID", data={"x": 1})


def test_the_topic_of_every_model_is_the_documented_one():
    assert WorkerRegistered.topic is Topic.WORKER
    assert TOPIC_OF_TYPE["fee-charged"] is Topic.WORKER
    assert TOPIC_OF_TYPE["agency-suspended"] is Topic.AGENCY
    assert TOPIC_OF_TYPE["case-escalated"] is Topic.CASE
    assert TOPIC_OF_TYPE["alert-resolved"] is Topic.ALERT
    assert TOPIC_OF_TYPE["area-summary-updated"] is Topic.AREA_SUMMARY
