"""Whatever officers, case workers and alerts do to a case, in any order: a refused command
changes nothing, and the case's invariants always hold (property-based, with hypothesis)."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.cases.cases.assignment import can_handle
from services.cases.cases.escalation import OverdueAlert, handle_overdue_alert
from services.cases.cases.intake import Confirmation, Consent
from services.cases.cases.levels import minimum_level, rank
from services.cases.cases.publication import payload
from services.cases.errors import CaseError
from services.cases.reports import triage
from services.cases.reports.model import Submission, submit
from shared.auth import Role
from shared.contract.codes import (
    CaseAction,
    CaseCategory,
    CaseStatus,
    ClosureReason,
    EscalationReason,
    GbvType,
    Level,
    ReopeningReason,
    Sex,
)
from tests.unit.cases.builders import OPENED, PROVINCE, REGENCY, VILLAGE, actor, open_case, worker

WORKERS = [
    worker(Sex.FEMALE, VILLAGE),
    worker(Sex.MALE, REGENCY),
    worker(Sex.FEMALE, PROVINCE),
    worker(Sex.MALE, "ID"),
    worker(Sex.FEMALE, "52"),
]
ALERT_IDS = [uuid.uuid4() for _ in range(3)]
days = st.integers(min_value=-2, max_value=400).map(lambda n: OPENED + timedelta(days=n))
notes = st.one_of(st.none(), st.text(max_size=30), st.just("x" * 1001))


def commands(case, draw):
    """One random command on ``case`` (a callable), drawn from everything the domain offers."""
    kind = draw(
        st.sampled_from(
            [
                "act",
                "act",
                "act",
                "escalate",
                "assign",
                "refer",
                "consent",
                "sex",
                "close",
                "reopen",
                "alert",
                "confirm",
                "merge",
            ]
        )
    )
    if kind == "act":
        action, on = draw(st.sampled_from(list(CaseAction))), draw(days)
        return lambda: case.take_action(action, on)
    if kind == "escalate":
        reason, note = draw(st.sampled_from(list(EscalationReason))), draw(notes)
        return lambda: case.escalate(reason, note)
    if kind == "assign":
        chosen, others = draw(st.sampled_from(WORKERS)), draw(st.lists(st.sampled_from(WORKERS)))
        return lambda: case.assign(chosen, others)
    if kind == "refer":
        role = draw(st.sampled_from([Role.SUPERVISOR, Role.CASE_WORKER]))
        override = draw(st.one_of(st.none(), st.just("Her life is at risk right now.")))
        to = draw(st.sampled_from(["police", "uptd_ppa.53", "Bad Name"]))
        return lambda: case.refer(to, by=actor(role, PROVINCE), override_reason=override)
    if kind == "consent":
        given_consent = Consent(draw(st.booleans()), draw(st.booleans()))
        return lambda: case.record_consent(given_consent)
    if kind == "sex":
        sex = draw(st.sampled_from([None, Sex.FEMALE, Sex.MALE]))
        return lambda: case.request_case_worker_sex(sex)
    if kind == "close":
        reason, on, note = draw(st.sampled_from(list(ClosureReason))), draw(days), draw(notes)
        merged = uuid.uuid4() if reason is ClosureReason.DUPLICATE else None
        return lambda: case.close(reason, on, note, merged_into=merged)
    if kind == "reopen":
        reason, on = draw(st.sampled_from(list(ReopeningReason))), draw(days)
        return lambda: case.reopen(reason, on)
    if kind == "alert":
        alert = OverdueAlert(
            draw(st.sampled_from(ALERT_IDS)),
            "case_overdue",
            str(case.id),
            draw(st.sampled_from(list(Level))),
            draw(days),
        )
        return lambda: handle_overdue_alert(case, alert)
    if kind == "confirm":
        facts = Confirmation(
            category=draw(st.sampled_from(list(CaseCategory))),
            gbv_type=draw(st.one_of(st.none(), st.sampled_from(list(GbvType)))),
            sex=draw(st.sampled_from(list(Sex))),
        )
        return lambda: triage.confirm(case, facts)
    into, on = open_case(), draw(days)
    return lambda: triage.merge(case, into, on)


def check_invariants(case, lowest_rank):
    assert (case.status is CaseStatus.CLOSED) == (case.closure is not None)
    if case.closure is not None:
        assert not case.clocks.running
    assert case.version == sum(1 for e in case.events if e.published)
    assert rank(case.level) >= lowest_rank
    if case.verified:
        assert rank(case.level) >= rank(minimum_level(case.category, case.gbv_type))
    if case.assignee is not None:
        assert can_handle(case.assignee, case.handling_area)
    clocks = [d.clock for d in case.clocks.running]
    assert len(clocks) == len(set(clocks))
    assert all(d.due_on > d.started_on for d in case.clocks.running)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_refused_commands_change_nothing_and_invariants_hold(data):
    if data.draw(st.booleans()):
        case = open_case(
            category=data.draw(st.sampled_from(list(CaseCategory))),
            requested_case_worker_sex=data.draw(st.sampled_from([None, Sex.FEMALE])),
        )
    else:
        area = data.draw(st.sampled_from([VILLAGE, REGENCY]))
        submission = Submission(
            area=area, category=CaseCategory.SICK, sex=Sex.FEMALE, account="help"
        )
        case = submit(submission, uuid.uuid4(), OPENED).case
    lowest = rank(case.level)
    for _ in range(data.draw(st.integers(min_value=1, max_value=25))):
        command = commands(case, data.draw)
        before = copy.deepcopy(vars(case))
        mark = len(case.events)
        try:
            command()
        except CaseError:
            assert vars(case) == before
            continue
        check_invariants(case, lowest)
        lowest = rank(case.level)
        for event in case.events[mark:]:
            assert (payload(event) is not None) == event.published
