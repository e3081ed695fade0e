"""Opening a case: a registered worker, or an unregistered one with only a village and a sex."""

from __future__ import annotations

import pytest

from services.cases.cases import events
from services.cases.errors import InvalidField
from shared.contract.codes import CaseStatus, IntakeChannel, Level, Sex
from tests.unit.cases.builders import OPENED, VILLAGE, intake, open_case


def test_a_case_for_a_registered_worker():
    case = open_case()
    assert case.status is CaseStatus.NEW and case.verified and case.version == 1
    assert case.opened_on == OPENED and case.area == VILLAGE and case.level is Level.VILLAGE
    opened = case.events[0]
    assert isinstance(opened, events.CaseOpened)
    assert (opened.facts.worker_id, opened.facts.procedural, opened.facts.sex) == (
        case.worker_id,
        True,
        Sex.FEMALE,
    )


def test_a_case_for_an_unregistered_worker_is_non_procedural():
    case = open_case(worker_id=None, procedural=False, sex=Sex.MALE)
    assert case.worker_id is None and not case.procedural and case.sex is Sex.MALE
    with pytest.raises(InvalidField) as refused:
        intake(worker_id=None, procedural=True)
    assert refused.value.field == "procedural"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"village": "53.71"}, "village"),
        ({"village": "53.71.01.1001 "}, "village"),
        ({"village": "ID"}, "village"),
        ({"narrative": ""}, "narrative"),
        ({"narrative": " \n "}, "narrative"),
        ({"narrative": "a" * 10_001}, "narrative"),
        ({"narrative": "nul\x00byte"}, "narrative"),
        ({"channel": IntakeChannel.PUBLIC_REPORT}, "channel"),
    ],
)
def test_a_bad_intake_names_the_field(changes, field):
    with pytest.raises(InvalidField) as refused:
        intake(**changes)
    assert refused.value.field == field
    assert refused.value.message.startswith(f"{field}: ")


def test_the_narrative_is_kept_trimmed_and_never_in_an_event():
    case = open_case(narrative="  She was beaten.  ")
    assert case.narrative == "She was beaten."
    assert all("beaten" not in repr(e) for e in case.events)


def test_the_narrative_at_its_limit_is_accepted():
    assert len(open_case(narrative="a" * 10_000).narrative) == 10_000
