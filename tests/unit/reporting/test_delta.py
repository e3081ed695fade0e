"""Unit tests of the projection core: events to figure deltas, pure and in memory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.delta import (
    Subject,
    cell_deltas,
    expand,
    project,
)
from services.reporting.projections.model import leaf_area
from tests.unit.reporting.events import Log

V1 = "53.71.01.1001"
V2 = "53.71.01.1002"
V3 = "32.01.01.2001"


def apply_all(batches, scope="ID"):
    """Project batches in sequence, carrying subjects, like the handler does."""
    subjects: dict[str, Subject] = {}
    cube: dict = {}
    for batch in batches:
        result = project(batch, subjects, scope)
        subjects.update(result.subjects)
        for key, (n, amount) in expand(result.deltas).items():
            cur = cube.setdefault(key, [0, Decimal(0)])
            cur[0] += n
            cur[1] += amount
    return {k: v for k, v in cube.items() if v != [0, 0]}, subjects


def test_registration_counts_in_village_and_every_ancestor() -> None:
    log = Log()
    _, ev = log.worker(V1, sex="female")
    cube, _ = apply_all([[ev]])
    key = "registered|female|procedural|-|-"
    for area in (V1, "53.71.01", "53.71", "53", "ID"):
        assert cube[(area, "workers", key)][0] == 1
    assert ("32", "workers", key) not in cube


def test_status_transition_moves_the_worker_between_cells() -> None:
    log = Log()
    wid, reg = log.worker(V1, sex="male")
    verified = log.event("worker-verified", wid, V1, verified_on="2026-03-02")
    dep = log.departed(wid, V1, occupation="fishing_crew", country="TW")
    cube, subjects = apply_all([[reg], [verified, dep]])
    assert subjects[wid].attrs["status"] == "departed"
    assert ("ID", "workers", "registered|male|procedural|-|-") not in cube
    assert cube[("ID", "workers", "departed|male|procedural|fishing_crew|TW")][0] == 1
    assert cube[("ID", "monthly", "2026-03|departed|male")][0] == 1


def test_duplicates_and_replays_change_nothing() -> None:
    log = Log()
    wid, reg = log.worker(V1)
    dep = log.departed(wid, V1)
    fee = log.fee(wid, V1)
    once, _ = apply_all([[reg, dep, fee]])
    # The same events again, in the same batch and in a later batch: sequences guard them.
    twice, _ = apply_all([[reg, dep, fee, reg, fee], [reg, dep, fee], [dep]])
    fee_row = ("ID", "fees", "illegal|passport|IDR")
    assert once[fee_row] == [1, Decimal(1_000_000)]
    assert twice == once


def test_unknown_worker_departure_is_skipped_and_counted() -> None:
    log = Log()
    log.seq["ghost"] = 1
    dep = log.departed("ghost", V1)
    result = project([dep], {}, "ID")
    assert result.skipped == 1 and result.deltas == {}


def test_scope_keeps_only_the_province() -> None:
    log = Log()
    _, a = log.worker(V1)
    _, b = log.worker(V3)
    cube, subjects = apply_all([[a, b]], scope="53")
    assert {k[0] for k in cube} == {V1, "53.71.01", "53.71", "53", "ID"}
    assert len(subjects) == 1


def test_fees_sum_counts_and_amounts() -> None:
    log = Log()
    wid, reg = log.worker(V1)
    cube, _ = apply_all([[reg, log.fee(wid, V1, 500), log.fee(wid, V1, 250, "warning")]])
    assert cube[("53", "fees", "illegal|passport|IDR")] == [1, Decimal(500)]
    assert cube[("53", "fees", "warning|passport|IDR")] == [1, Decimal(250)]
    assert cube[("53", "monthly", "2026-03|fees|IDR")] == [2, Decimal(750)]


def test_case_lifecycle_and_deadlines() -> None:
    log = Log()
    cid, opened = log.case(
        V1, sex="female", category="trafficking", gbv_type="rape", due_on="2026-04-01"
    )
    esc = log.event(
        "case-escalated", cid, V1, from_level="village", to_level="province", reason="risk_to_life"
    )
    cube, _ = apply_all([[opened], [esc]])
    assert cube[("53.71", "cases", "trafficking|rape|province|new|female|procedural")][0] == 1
    assert cube[("ID", "cases_due", "2026-04-01")][0] == 1
    closed = log.event(
        "case-closed", cid, V1, reason="resolved", merged_into=None, due_on=None, due_clock=None
    )
    cube, _ = apply_all([[opened], [esc], [closed]])
    assert ("ID", "cases_due", "2026-04-01") not in cube
    assert cube[("ID", "cases", "trafficking|rape|province|closed|female|procedural")][0] == 1
    assert cube[("ID", "monthly", "2026-03|cases_closed|female")][0] == 1


def test_case_opened_and_verified_are_read_in_both_versions() -> None:
    """Version 2 (``registered_worker``) and version 1 (``worker_id``) count alike: no figure
    reads the worker."""
    cubes = []
    for version in (1, 2):
        log = Log()
        cid, opened = log.case("53.71", gbv_type="rape", report=True, version=version)
        facts: dict[str, Any] = (
            {"registered_worker": True} if version == 2 else {"worker_id": str(uuid.uuid4())}
        )
        verified = log.event(
            "case-verified",
            cid,
            V1,
            version,
            category="employer_violence",
            gbv_type="rape",
            level="province",
            procedural=True,
            sex="female",
            agency_id=None,
            due_on="2026-04-01",
            due_clock="documents_incomplete",
            **facts,
        )
        assert (opened.envelope.version, verified.envelope.version) == (version, version)
        cube, _ = apply_all([[opened], [verified]])
        cubes.append(cube)
    assert cubes[0] == cubes[1]
    assert (
        cubes[1][("53.71", "cases", "employer_violence|rape|province|new|female|procedural")][0]
        == 1
    )


def test_alerts_open_until_resolved_and_higher_areas_get_a_pseudo_child() -> None:
    log = Log()
    aid, raised = log.alert("53.71", severity="critical")
    assert leaf_area("53.71") == "53.71.00.0000"
    cube, _ = apply_all([[raised]])
    assert cube[("53.71.00.0000", "alerts_open", "critical|illegal-fee|open")][0] == 1
    assert cube[("53.71", "alerts_open", "critical|illegal-fee|open")][0] == 1
    ack = log.event("alert-acknowledged", aid, "53.71")
    res = log.event("alert-resolved", aid, "53.71")
    cube, _ = apply_all([[raised], [ack]])
    assert cube[("ID", "alerts_open", "critical|illegal-fee|acknowledged")][0] == 1
    cube, _ = apply_all([[raised], [ack, res]])
    assert not [k for k in cube if k[1] == "alerts_open"]


def test_every_parent_is_the_sum_of_its_children() -> None:
    log = Log()
    batch = []
    for i, area in enumerate([V1, V2, V3, V1]):
        wid, reg = log.worker(area, sex="female" if i % 2 else "male")
        batch += [reg, log.departed(wid, area), log.fee(wid, area, 100 + i)]
    cube, _ = apply_all([batch])
    from shared.areas import parent

    sums: dict = {}
    for (area, metric, key), (n, amount) in cube.items():
        up = parent(area)
        if up is not None:
            cur = sums.setdefault((up, metric, key), [0, Decimal(0)])
            cur[0] += n
            cur[1] += amount
    for key, value in sums.items():
        assert cube[key] == value


def test_cells_only_for_materialised_levels_and_match_the_cube() -> None:
    log = Log()
    wid, reg = log.worker(V1, sex="female")
    cube = expand(project([reg, log.departed(wid, V1, country="SA")], {}).deltas)
    cells = cell_deltas(cube)
    assert {a for a, _ in cells} == {"ID", "53", "53.71", "53.71.01"}  # not the village
    assert cells[("ID", "workers/departed/female")] == 1
    assert cells[("ID", "workers_abroad_by_destination/SA/female")] == 1
    assert ("ID", "workers/registered/female") not in cells


def test_stored_state_round_trips_for_every_kind_of_subject() -> None:
    for kind in CATALOG.kinds:
        fields = kind.fields
        attrs: dict[str, str | None] = {f: f"{f}-code" for f in fields}
        attrs[fields[-1]] = None  # a missing code is stored as "-" and read back as None
        subject = Subject(kind, V1, 3, attrs)
        state = subject.state()
        assert state.count("|") == len(fields) - 1
        back = Subject.stored(kind, V1, 3, state)
        assert back == subject
        copy = subject.copy()
        copy.attrs[fields[0]] = "changed"
        assert subject.attrs == back.attrs  # a copy owns its attributes


def test_a_subject_whose_batch_changes_nothing_is_not_written_back() -> None:
    log = Log()
    wid, ev = log.worker(V1, sex="female")
    first = project([ev], {})
    again = project([ev], first.subjects)  # the same event again: a duplicate, skipped
    assert again.subjects == {} and again.deltas == {} and again.skipped == 1
    assert wid in first.subjects


def test_monthly_series_are_keyed_by_the_business_date_not_the_recording_time() -> None:
    log = Log(time=datetime(2026, 3, 10, 8, 0, tzinfo=UTC))  # all of it recorded in March 2026
    wid, registered = log.worker(V1, sex="female", registered_on="2024-11-03")
    late = [
        registered,
        log.fee(wid, V1, 750_000, charged_on="2024-12-30"),
        log.departed(wid, V1, departed_on="2025-01-20"),
        log.event("worker-returned", wid, V1, returned_on="2026-02-01"),
    ]
    cid, opened = log.case(V1, sex="male", opened_on="2025-02-03")
    closed = log.event(
        "case-closed",
        cid,
        V1,
        reason="withdrawn",
        merged_into=None,
        closed_on="2025-05-06",
        due_on=None,
        due_clock=None,
    )
    _, old_producer = log.case(V1, sex="female", opened_on=None)  # no date: the event's time
    _, raised = log.alert(V1)  # alert events carry no date of their own: their time
    cube, _ = apply_all([[*late, opened, closed, old_producer, raised]])
    monthly = {k[2]: v for k, v in cube.items() if k[0] == "53.71" and k[1] == "monthly"}
    assert monthly == {
        "2024-11|registered|female": [1, 0],
        "2024-12|fees|IDR": [1, Decimal(750_000)],
        "2025-01|departed|female": [1, 0],
        "2026-02|returned|female": [1, 0],
        "2025-02|cases_opened|male": [1, 0],
        "2025-05|cases_closed|male": [1, 0],
        "2026-03|cases_opened|female": [1, 0],
        "2026-03|alerts_raised|-": [1, 0],
    }
    # The stocks are those of now, whatever the dates: the worker has returned.
    assert cube[("53.71", "workers", "returned|female|procedural|housekeeper|MY")][0] == 1


def test_a_report_counts_once_triaged_with_the_facts_as_found_and_where_found() -> None:
    log = Log()
    cid, report = log.case("53.71", category="unpaid_wages", report=True, opened_on="2026-02-27")
    cube, _ = apply_all([[report]])
    assert not [k for k in cube if k[1] in {"cases", "cases_due"}]  # not triaged: not counted
    assert not [k for k in cube if k[1] == "monthly"]
    verified = log.event(
        "case-verified",
        cid,
        V1,  # triage found the village
        category="trafficking",
        gbv_type=None,
        level="province",
        procedural=False,
        sex="female",
        worker_id=None,
        agency_id=None,
        due_on="2026-04-10",
        due_clock="documents_incomplete",
    )
    cube, _ = apply_all([[report], [verified]])
    row = "trafficking|-|province|new|female|non_procedural"
    assert cube[(V1, "cases", row)][0] == 1 and cube[("53.71", "cases", row)][0] == 1
    assert not [k for k in cube if k[0] == "53.71.00.0000"]
    assert cube[(V1, "cases_due", "2026-04-10")][0] == 1
    # Counted in the month the report was made, once triaged.
    assert cube[("53.71", "monthly", "2026-02|cases_opened|female")][0] == 1


def test_a_report_rejected_at_triage_never_counts() -> None:
    log = Log()
    cid, report = log.case(V1, report=True)
    rejected = log.event(
        "case-closed",
        cid,
        V1,
        reason="report_rejected",
        merged_into=None,
        due_on=None,
        due_clock=None,
    )
    cube, subjects = apply_all([[report], [rejected]])
    assert cube == {} and subjects[cid].attrs["status"] == "closed"


def test_a_deadline_ends_when_an_event_says_no_clock_runs() -> None:
    log = Log()
    cid, opened = log.case(V1, due_on="2026-04-01")
    reached = log.event(
        "case-action-taken",
        cid,
        V1,
        action="complainant_reached",
        taken_on="2026-03-12",
        status="assessment",
        due_on=None,
        due_clock=None,
    )
    cube, _ = apply_all([[opened]])
    assert cube[("ID", "cases_due", "2026-04-01")][0] == 1
    cube, _ = apply_all([[opened], [reached]])
    assert not [k for k in cube if k[1] == "cases_due"]
    assert cube[("ID", "cases", "unpaid_wages|-|village|assessment|female|procedural")][0] == 1
