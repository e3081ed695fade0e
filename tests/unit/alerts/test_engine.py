"""The engine over whole streams: duplicates, replays, restarts, rows, changes, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.bench_alert_rules import synthetic_stream
from services.alerts.clock import ManualClock
from services.alerts.engine import RulesEngine
from services.alerts.jurisdiction import area_at, covering_level, level_above
from services.alerts.lifecycle import AlertEvent
from services.alerts.settings import RuleSettings
from services.alerts.state import TABLES, AlertState
from shared.areas import area_level
from shared.contract.codes import AlertRule, Level
from shared.contract.envelope import Envelope, new_event
from shared.contract.events import parse_data

from .stream import KUPANG_1, Harness, summary


@pytest.fixture(scope="module")
def stream() -> list[Envelope]:
    return synthetic_stream(workers=3_000, seed=7)


def _replay(
    stream: list[Envelope], engine: RulesEngine | None = None, restart_every: int = 0
) -> tuple[RulesEngine, list[AlertEvent]]:
    clock = ManualClock(stream[0].time)
    engine = engine or RulesEngine(clock=clock)
    engine.clock = clock
    out: list[AlertEvent] = []
    for n, i in enumerate(range(0, len(stream), 500)):
        part = stream[i : i + 500]
        clock.set(max(clock.now(), part[-1].time))
        out += engine.handle_batch(part)
        if restart_every and n % restart_every == 0:
            engine = RulesEngine(AlertState.from_rows(engine.state.rows()), clock=clock)
    return engine, out


def test_the_benchmark_s_stream_is_made_of_contract_events(stream):
    for envelope in stream:
        parse_data(envelope)
    assert {e.type for e in stream} >= {"case-verified", "agency-suspended", "fee-charged"}


def test_every_rule_fires_on_a_realistic_stream_and_every_event_is_a_contract_event(stream):
    _, out = _replay(stream)

    assert {e.alert.rule for e in out} == set(AlertRule)
    for event in out:
        envelope = event.envelope()
        parse_data(envelope)
        alert = event.alert
        # The area is the acting level's own area (the nation's is ID).
        assert area_level(alert.area) == alert.level.value
        assert envelope.area == alert.area


def test_redelivering_the_whole_stream_changes_nothing(stream):
    engine, _ = _replay(stream)
    before = engine.state.rows()

    _, again = _replay(stream, engine)

    assert again == []
    assert engine.state.rows() == before


def test_restarting_from_stored_rows_changes_nothing_the_rules_decide(stream):
    _, straight = _replay(stream)
    _, restarted = _replay(stream, restart_every=3)

    assert summary(restarted) == summary(straight)


def test_rows_round_trip(stream):
    engine, _ = _replay(stream)
    rows = engine.state.rows()

    assert AlertState.from_rows(rows).rows() == rows
    assert {name for name, table in rows.items() if table} == set(TABLES)  # none left empty


def test_changes_name_the_rows_a_batch_touched():
    h = Harness()
    worker = h.log.registered()
    case = h.log.opened()
    h.feed(worker, case)

    changes = h.engine.state.take_changes()

    assert changes.workers == {worker.subject}
    assert changes.cases == {case.subject}
    assert changes.areas == {KUPANG_1, "53.71"}
    assert {about for _, about in changes.due} == {case.subject}
    empty = h.engine.state.take_changes()
    assert (empty.workers, empty.cases, empty.due, empty.alerts) == (set(), set(), set(), {})


def test_events_no_rule_reads_are_ignored():
    h = Harness()
    worker = h.log.registered()
    delivered = new_event(  # a type the rules do not read (not in the contract yet, even)
        type="service-delivered",
        source="registry",
        subject=worker.subject,
        sequence=2,
        area=KUPANG_1,
        data={"kind": "rights_training", "delivered_on": "2026-03-02"},
    )
    h.feed(worker, delivered)
    assert (h.engine.applied, h.engine.ignored) == (1, 1)


def test_replan_applies_new_thresholds_to_planned_checks():
    h = Harness()
    h.feed(case := h.log.opened())
    h.clock.advance(timedelta(hours=30))
    assert h.engine.tick() == []
    engine = RulesEngine(
        state=h.engine.state, settings=RuleSettings(case_unassigned_hours=24), clock=h.clock
    )
    assert engine.tick() == []  # still planned for 72 h

    assert summary(engine.replan()) == [("alert-raised", "case_unassigned", case.subject)]


def test_next_due_tells_the_clock_loop_how_long_it_may_sleep():
    h = Harness()
    assert h.engine.next_due() is None
    h.feed(h.log.opened())
    assert h.engine.next_due() == h.clock.now() + timedelta(hours=72)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALERTS_CASE_DEADLINE_NEAR_DAYS", "7")
    monkeypatch.setenv("ALERTS_VILLAGE_SURGE_FACTOR", "2.5")
    settings = RuleSettings()
    assert (settings.case_deadline_near_days, settings.village_surge_factor) == (7, 2.5)
    assert (settings.case_unassigned_hours, settings.agency_hotspot_villages) == (72, 3)


def test_the_clock_is_aware_and_moves_forward_only():
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        ("53.71.01.1001", Level.VILLAGE, "53.71.01.1001"),
        ("53.71.01.1001", Level.REGENCY, "53.71"),
        ("53.71.01.1001", Level.PROVINCE, "53"),
        ("53.71.01.1001", Level.NATIONAL, "ID"),
        ("53.71", Level.VILLAGE, "53.71"),  # a self-report naming only a regency
    ],
)
def test_area_at(code, level, expected):
    assert area_at(code, level) == expected


def test_levels_and_covering_areas():
    assert [level_above(level) for level in Level] == [
        Level.REGENCY,
        Level.PROVINCE,
        Level.NATIONAL,
        Level.NATIONAL,
    ]
    assert covering_level(["53.71.01.1001", "53.01.01.2001"]) == (Level.PROVINCE, "53")
    assert covering_level(["53.71.01.1001", "33.01.01.2001"]) == (Level.NATIONAL, "ID")
