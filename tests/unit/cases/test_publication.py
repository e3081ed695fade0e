"""What leaves the service: contract payloads of codes only, numbered per case."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from services.cases.cases import events
from services.cases.cases.publication import outgoing, payload
from services.cases.reports import triage
from services.cases.reports.model import RejectionReason, Submission, submit
from shared.auth import Role
from shared.contract import Envelope, new_event, parse_data
from shared.contract import events as contract
from shared.contract.codes import (
    CaseAction,
    CaseCategory,
    ClosureReason,
    DueClock,
    EscalationReason,
    GbvType,
    ReopeningReason,
    Sex,
)
from shared.contract.topics import Topic
from tests.unit.cases.builders import OPENED, PROVINCE, REGENCY, actor, open_case, worker

SECRETS = {
    "narrative": "Her employer in Riyadh locked her in; call her cousin Yohana.",
    "note": "Spoke with Ibu Maria Lende at the agency office in Kupang.",
    "override": "The survivor is unconscious in hospital; her life is at risk.",
    "contact": "+62 813 5555 0101",
    "account": "My sister Agnes was sold by the sponsor in Atambua.",
}
CASE_TYPES = {t for (t, _), m in contract.EVENT_MODELS.items() if m.topic is Topic.CASE}


def busy_case():
    """A case through every published and internal event, with free text wherever allowed."""
    case = open_case(
        category=CaseCategory.TRAFFICKING,
        gbv_type=GbvType.SEXUAL_ASSAULT,
        narrative=SECRETS["narrative"],
        requested_case_worker_sex=Sex.FEMALE,
    )
    case.assign(worker(Sex.FEMALE, area=PROVINCE, name="cw-yuli"))
    case.take_action(CaseAction.CLARIFICATION_REQUESTED, OPENED)
    case.escalate(EscalationReason.OTHER, SECRETS["note"])
    supervisor = actor(Role.SUPERVISOR, PROVINCE)
    case.refer("police.53", by=supervisor, override_reason=SECRETS["override"])
    case.close(ClosureReason.WITHDRAWN, OPENED + timedelta(days=3), SECRETS["note"])
    case.reopen(ReopeningReason.OTHER, OPENED + timedelta(days=4), SECRETS["note"])
    return case


def wire(case, version_before=0):
    out = []
    for item in outgoing(case.events, version_before, case.area):
        envelope = new_event(
            source="cases",
            subject=item.subject,
            sequence=item.sequence,
            area=item.area,
            data=item.data,
        )
        out.append(envelope.to_json())
    return out


def test_every_published_event_round_trips_through_the_contract():
    case = busy_case()
    records = wire(case)
    types = []
    for raw in records:
        envelope = Envelope.model_validate_json(raw)
        data = parse_data(envelope)
        assert envelope.source == "cases" and envelope.subject == str(case.id)
        assert envelope.area == case.area
        types.append(envelope.type)
    assert types == [
        "case-opened",
        "case-assigned",
        "case-action-taken",
        "case-escalated",
        "case-referred",
        "case-closed",
        "case-reopened",
    ]
    assert isinstance(data, contract.CaseReopened)


def test_nothing_typed_in_leaves_the_service():
    case = busy_case()
    report = submit(
        Submission(
            area="53.71",
            category=CaseCategory.TRAFFICKING,
            sex=Sex.FEMALE,
            account=SECRETS["account"],
            contact=SECRETS["contact"],
        ),
        uuid.uuid4(),
        OPENED,
    )
    triage.reject(report.case, report.report, RejectionReason.FALSE_REPORT, OPENED, SECRETS["note"])
    published = b"".join(wire(case) + wire(report.case)).decode()
    words = ("Riyadh", "Yohana", "Maria", "Lende", "unconscious", "5555", "Agnes", "Atambua")
    for secret in (*SECRETS.values(), *words):
        assert secret not in published, secret
    assert "cw-yuli" not in published and report.receipt not in published


def _free_text(schema: dict, definitions: dict) -> bool:
    if "$ref" in schema:
        return _free_text(definitions[schema["$ref"].split("/")[-1]], definitions)
    if "anyOf" in schema:
        return any(_free_text(s, definitions) for s in schema["anyOf"])
    if schema.get("type") == "string":
        return not ({"enum", "format", "pattern", "const"} & set(schema))
    return False


@pytest.mark.parametrize("event_type", sorted(CASE_TYPES))
def test_no_case_event_has_a_free_text_field(event_type):
    model = next(m for (t, _), m in contract.EVENT_MODELS.items() if t == event_type)
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    loose = [name for name, field in schema["properties"].items() if _free_text(field, definitions)]
    assert not loose, f"{event_type}: free text in {loose}"


def test_the_fields_other_services_rely_on():
    opened = contract.CaseOpened.model_fields
    for name in ("category", "gbv_type", "level", "procedural", "sex"):
        assert name in opened
    for name in ("agency_id", "channel", "verified", "due_on", "due_clock"):
        assert opened[name].is_required(), name
    for model in (contract.CaseActionTaken, contract.CaseReopened, contract.CaseVerified):
        assert {"due_on", "due_clock"} <= set(model.model_fields)
    assert contract.CaseClosed.model_fields["due_on"].is_required()
    assert set(contract.CaseEscalated.model_fields) == {"from_level", "to_level", "reason"}


def test_case_opened_carries_the_deadline_channel_agency_and_verification():
    agency = uuid.uuid4()
    case = open_case(agency_id=agency)
    data = payload(case.events[0])
    assert isinstance(data, contract.CaseOpened)
    assert (data.agency_id, data.channel.value, data.verified) == (agency, "walk_in", True)
    assert (data.due_clock, data.due_on) == (DueClock.DOCUMENTS_INCOMPLETE, date(2026, 4, 1))


def test_a_closure_stops_the_deadline_and_a_duplicate_names_its_case():
    case, other = open_case(), open_case()
    case.close(ClosureReason.DUPLICATE, OPENED, merged_into=other.id)
    data = payload(case.events[-1])
    assert isinstance(data, contract.CaseClosed)
    assert (data.due_on, data.due_clock, data.merged_into) == (None, None, other.id)


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": "resolved", "merged_into": None, "due_on": "2026-04-01", "due_clock": None},
        {
            "reason": "resolved",
            "merged_into": None,
            "due_on": "2026-04-01",
            "due_clock": "documents_incomplete",
        },
        {"reason": "duplicate", "merged_into": None, "due_on": None, "due_clock": None},
        {"reason": "resolved", "merged_into": str(uuid.uuid4()), "due_on": None, "due_clock": None},
        {"reason": "the family asked", "merged_into": None, "due_on": None, "due_clock": None},
    ],
)
def test_the_contract_refuses_inconsistent_closures(fields):
    with pytest.raises(ValidationError):
        contract.CaseClosed.model_validate(fields)


def test_due_on_and_due_clock_travel_together():
    with pytest.raises(ValidationError, match="both set or both null"):
        contract.CaseReopened.model_validate(
            {"reason": "other", "due_on": "2026-04-01", "due_clock": None}
        )


def test_sequences_count_the_published_events_only():
    case = busy_case()
    internal = [e for e in case.events if not e.published]
    assert internal  # consent and sex requests, lapsed assignments … are kept, not published
    items = outgoing(case.events, 0, case.area)
    assert [i.sequence for i in items] == list(range(1, case.version + 1))
    mark, version = len(case.events), case.version
    case.request_case_worker_sex(Sex.MALE)  # internal
    case.take_action(CaseAction.CASE_PLAN, OPENED + timedelta(days=5))
    later = outgoing(case.events[mark:], version, case.area)
    assert [i.sequence for i in later] == [version + 1] == [case.version]


def test_an_internal_event_has_no_payload_and_a_published_one_must_have_one():
    recorded = events.ConsentRecorded(case_id=uuid.uuid4(), referral=True, sharing=True)
    assert payload(recorded) is None

    @dataclass(frozen=True, kw_only=True)
    class Forgotten(events.CaseEvent):
        pass

    with pytest.raises(TypeError, match="Forgotten is published"):
        payload(Forgotten(case_id=uuid.uuid4()))


def test_a_verified_report_is_published_in_its_village():
    outcome = submit(
        Submission(area=REGENCY, category=CaseCategory.SICK, sex=Sex.MALE, account="He is ill."),
        uuid.uuid4(),
        OPENED,
    )
    case = outcome.case
    version = case.version
    mark = len(case.events)
    triage.confirm(
        case,
        triage.Confirmation(
            category=CaseCategory.SICK, gbv_type=None, sex=Sex.MALE, village="53.71.01.1001"
        ),
    )
    (item,) = outgoing(case.events[mark:], version, case.area)
    assert item.area == "53.71.01.1001" and item.sequence == 2
    assert isinstance(item.data, contract.CaseVerified)
    assert json.loads(item.data.model_dump_json())["due_clock"] == "documents_incomplete"


def test_case_opened_and_verified_v2_say_only_whether_the_worker_is_registered():
    """Review finding 2: the registry's worker id beside a GBV type would let any reader of
    cases.case.v1 join the type to the worker's registry events; version 2 carries a bool."""
    registered = open_case(gbv_type=GbvType.RAPE)
    worker_id = registered.worker_id
    assert worker_id is not None
    data = payload(registered.events[0])
    assert isinstance(data, contract.CaseOpened) and data.event_version == 2
    assert data.registered_worker is True and data.gbv_type is GbvType.RAPE
    assert "worker_id" not in data.model_dump() and str(worker_id) not in data.model_dump_json()
    never = payload(open_case(worker_id=None, procedural=False).events[0])
    assert isinstance(never, contract.CaseOpened) and never.registered_worker is False

    report = submit(
        Submission(area=REGENCY, category=CaseCategory.SICK, sex=Sex.MALE, account="He is ill."),
        uuid.uuid4(),
        OPENED,
    ).case
    version, mark = report.version, len(report.events)
    found = uuid.uuid4()
    facts = triage.Confirmation(
        category=CaseCategory.SICK, gbv_type=None, sex=Sex.MALE, worker_id=found
    )
    triage.confirm(report, facts)
    (item,) = outgoing(report.events[mark:], version, report.area)
    assert isinstance(item.data, contract.CaseVerified) and item.data.event_version == 2
    assert item.data.registered_worker is True and str(found) not in item.data.model_dump_json()

    # no case event the service publishes names the registry's worker id
    for event in busy_case().events + registered.events:
        published = payload(event)
        if published is not None:
            assert "worker_id" not in type(published).model_fields, type(published).__name__


def test_case_opened_and_verified_v1_are_still_read():
    worker_id = uuid.uuid4()
    opened = payload(open_case().events[0])
    assert opened is not None
    v1 = {**opened.model_dump(mode="json"), "worker_id": str(worker_id)}
    del v1["registered_worker"]
    envelope = new_event(
        source="cases",
        subject=str(uuid.uuid4()),
        sequence=1,
        area="53.71.01.1001",
        data=v1,
        type="case-opened",
        version=1,
    )
    read = parse_data(envelope)
    assert isinstance(read, contract.CaseOpenedV1) and read.registered_worker is True
    unregistered = parse_data(envelope.model_copy(update={"data": {**v1, "worker_id": None}}))
    assert isinstance(unregistered, contract.CaseOpenedV1)
    assert unregistered.registered_worker is False
    verified = {k: v1[k] for k in contract.CaseVerifiedV1.model_fields}
    read_verified = parse_data(
        envelope.model_copy(update={"type": "case-verified", "data": verified})
    )
    assert isinstance(read_verified, contract.CaseVerifiedV1) and read_verified.registered_worker
