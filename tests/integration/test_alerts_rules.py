"""The alerts service over the real broker and database: every rule fires exactly once per open
condition, through duplicates, replays, consumer restarts and a restart across a deadline.

Events are published as the registry and the cases service publish them (tests/unit/alerts'
``Stream``); the service runs with its lifespan (consumer, relay, clock loop) on a hand-driven
clock. Other tests publish on the same topics, so every assertion looks at this test's subjects,
and the window rules' areas are a regency no other test uses.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import asyncpg
import pytest_asyncio

from services.alerts.clock import ManualClock
from shared.contract.events import parse_data
from tests.support.alerts import (
    AlertsRun,
    alert_envelopes,
    alerts_settings,
    every_rule,
    publish,
    raised,
    running_alerts,
    settled,
)
from tests.support.messaging import wait_until
from tests.unit.alerts.stream import KUPANG_1, START, Stream

HOURS_73 = timedelta(hours=73)
TIMED = {"case_unassigned", "case_deadline_near", "case_overdue", "return_overdue"}


@pytest_asyncio.fixture(loop_scope="session")
async def dsn(make_database) -> str:
    return await make_database("services.alerts")


async def _ticked(run: AlertsRun, more_than: int = 0) -> None:
    """Until the clock loop has run a tick after ``more_than`` ticks."""

    async def ticked() -> bool:
        return int(run.app.state.clock.ticks) > more_than

    await wait_until(ticked, within=60)


async def _stored(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _rules_raised(dsn: str, abouts: set[str]) -> Counter[tuple[str, str]]:
    rows = await _stored(dsn, "SELECT rule, about FROM alerts WHERE about = ANY($1)", list(abouts))
    return Counter((r["rule"], r["about"]) for r in rows)


async def test_every_rule_fires_once_per_condition_through_duplicates_replays_and_restarts(
    dsn, service_settings, kafka_bootstrap
):
    clock = ManualClock(START)
    log = Stream(clock)
    wires = every_rule(log, "81.01")
    settings = alerts_settings(service_settings, dsn)

    async with running_alerts(settings, clock) as run:
        await publish(kafka_bootstrap, wires.setup)
        await settled(run, kafka_bootstrap)
        await publish(kafka_bootstrap, wires.events)
        await settled(run, kafka_bootstrap)
        await run.caught_up()
        first = await alert_envelopes(kafka_bootstrap, wires.abouts, at_least=len(wires.raised_now))
        assert Counter(raised(first)) == Counter(wires.raised_now)

        # The same events again (same ids), and re-published under new ids and sequences.
        everything = wires.setup + wires.events
        await publish(kafka_bootstrap, everything)
        await publish(kafka_bootstrap, [log.again(e) for e in everything])
        await settled(run, kafka_bootstrap)

        clock.advance(HOURS_73)
        run.wake()
        expected = wires.raised_now | wires.raised_after_72h
        await wait_until(lambda: _has(dsn, wires.abouts, len(expected)), within=30)

    # A restart resumes at the stored positions; one that lost them re-reads the whole log.
    async with running_alerts(settings, clock) as run:
        await settled(run, kafka_bootstrap)
        await _ticked(run)
    await _stored(dsn, "DELETE FROM consumer_positions")
    async with running_alerts(alerts_settings(service_settings, dsn), clock) as run:
        await settled(run, kafka_bootstrap)
        await _ticked(run)

    assert await _rules_raised(dsn, wires.abouts) == Counter(expected)
    events = await alert_envelopes(kafka_bootstrap, wires.abouts, at_least=len(expected))
    assert Counter(raised(events)) == Counter(expected)
    for envelope in events:
        parse_data(envelope)
        assert envelope.source == "alerts"
    # An alert raised by an event names it and carries its correlation; the clock's, neither.
    by_cause = {str(e.id): e for e in everything}
    for envelope in events:
        if envelope.type != "alert-raised":
            continue
        if envelope.data["rule"] in TIMED:
            assert envelope.causation_id is None
        else:
            cause = by_cause[str(envelope.causation_id)]
            assert envelope.correlation_id == cause.correlation_id


async def _has(dsn: str, abouts: set[str], count: int) -> bool:
    return sum((await _rules_raised(dsn, abouts)).values()) >= count


async def test_a_deadline_that_passes_while_the_service_is_down_fires_once_after_restart(
    dsn, service_settings, kafka_bootstrap
):
    clock = ManualClock(START)
    log = Stream(clock)
    case = log.opened(KUPANG_1)
    settings = alerts_settings(service_settings, dsn)
    async with running_alerts(settings, clock) as run:
        await publish(kafka_bootstrap, [case])
        await settled(run, kafka_bootstrap)
        await _ticked(run)
    assert await _rules_raised(dsn, {case.subject}) == Counter()
    due = await _stored(dsn, "SELECT rule, due_at FROM due WHERE about = $1", case.subject)
    assert [(r["rule"], r["due_at"]) for r in due] == [
        ("case_unassigned", START + timedelta(hours=72))
    ]

    clock.advance(HOURS_73)  # the deadline passes while the service is down
    async with running_alerts(settings, clock) as run:
        await _ticked(run)
    async with running_alerts(settings, clock) as run:  # and once more
        await _ticked(run)

    assert await _rules_raised(dsn, {case.subject}) == Counter(
        {("case_unassigned", case.subject): 1}
    )
    assert await _stored(dsn, "SELECT 1 FROM due WHERE about = $1", case.subject) == []
    events = await alert_envelopes(kafka_bootstrap, {case.subject}, at_least=1)
    assert raised(events) == [("case_unassigned", case.subject)]
    assert events[0].causation_id is None  # the clock raised it


async def test_an_assignment_still_in_the_log_is_read_before_the_deadline_is_judged(
    dsn, service_settings, kafka_bootstrap
):
    clock = ManualClock(START)
    log = Stream(clock)
    case = log.opened(KUPANG_1, category="trafficking")  # 24 hours
    settings = alerts_settings(service_settings, dsn)
    async with running_alerts(settings, clock) as run:
        await publish(kafka_bootstrap, [case])
        await settled(run, kafka_bootstrap)

    # Assigned in time, but the service was down; it restarts after the deadline.
    await publish(kafka_bootstrap, [log.assigned(case.subject, time=START + timedelta(hours=2))])
    clock.advance(HOURS_73)
    async with running_alerts(settings, clock) as run:
        await settled(run, kafka_bootstrap)
        await _ticked(run)

    assert await _rules_raised(dsn, {case.subject}) == Counter()
    assert await _stored(dsn, "SELECT 1 FROM due WHERE about = $1", case.subject) == []


async def test_a_threshold_changed_while_the_service_was_down_applies_at_restart(
    dsn, service_settings, kafka_bootstrap
):
    clock = ManualClock(START)
    log = Stream(clock)
    case = log.opened(KUPANG_1)  # 72 hours, as the service runs now
    settings = alerts_settings(service_settings, dsn)
    async with running_alerts(settings, clock) as run:
        await publish(kafka_bootstrap, [case])
        await settled(run, kafka_bootstrap)
        await _ticked(run)

    clock.advance(timedelta(hours=13))
    shorter = alerts_settings(
        service_settings, dsn, consumer_group=settings.consumer_group, case_unassigned_hours=12
    )
    async with running_alerts(shorter, clock) as run:
        await _ticked(run)

    assert await _rules_raised(dsn, {case.subject}) == Counter(
        {("case_unassigned", case.subject): 1}
    )
