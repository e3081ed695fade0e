"""unlicensed_agency and agency_hotspot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.alerts.clock import start_of
from shared.contract.codes import AlertResolution, AlertRule, AlertStatus, Level, Severity

from .stream import CILACAP, KUPANG_1, KUPANG_2, KUPANG_3, KUPANG_REGENCY_VILLAGE, Harness, summary

UNLICENSED, HOTSPOT = AlertRule.UNLICENSED_AGENCY, AlertRule.AGENCY_HOTSPOT


def _agency_and_worker(h: Harness, village: str = KUPANG_1) -> tuple[str, str]:
    agency, worker = h.log.licensed(seat="31"), h.log.registered(village)
    h.feed(agency, worker)
    return agency.subject, worker.subject


def _unlicensed(events):
    return [e for e in events if e.alert.rule is UNLICENSED]


def test_a_fee_dated_on_or_after_a_suspension_names_the_agency():
    h = Harness()
    agency, worker = _agency_and_worker(h)
    h.feed(h.log.suspended(agency))

    (raised,) = _unlicensed(h.feed(h.log.fee(worker, agency=agency)))

    alert = raised.alert
    assert (alert.about, alert.severity) == (agency, Severity.CRITICAL)
    # The province where it was caught recruiting, not its seat (31): BP3MI NTT acts.
    assert (alert.level, alert.area) == (Level.PROVINCE, "53")
    assert alert.details == {"named_on": "2026-03-02", "unlicensed_since": "2026-03-02"}


def test_a_fee_dated_before_the_suspension_does_not():
    h = Harness()
    agency, worker = _agency_and_worker(h)
    h.feed(h.log.suspended(agency))

    events = h.feed(h.log.fee(worker, agency=agency, charged_on=date(2026, 3, 1)))

    assert _unlicensed(events) == []


def test_a_suspension_arriving_after_the_evidence_still_raises_it():
    h = Harness()
    agency, worker = _agency_and_worker(h)
    h.feed(h.log.fee(worker, agency=agency, charged_on=date(2026, 3, 5)))  # recorded early

    suspension = h.log.suspended(agency, time=datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    events = h.feed(suspension)

    assert summary(events) == [("alert-raised", "unlicensed_agency", agency)]
    assert events[0].envelope().causation_id == str(suspension.id)
    assert events[0].alert.details["named_on"] == "2026-03-05"


def test_a_departure_after_a_revocation_raises_it_too():
    h = Harness()
    agency, worker = _agency_and_worker(h, CILACAP)
    h.feed(h.log.revoked(agency), h.log.verified(worker))

    events = h.feed(h.log.departed(worker, agency=agency))

    assert summary(events) == [("alert-raised", "unlicensed_agency", agency)]
    assert events[0].alert.area == "33"


def test_a_new_licence_ends_the_sanction_for_later_evidence():
    h = Harness()
    agency, worker = _agency_and_worker(h)
    h.feed(h.log.suspended(agency))
    h.clock.advance(timedelta(days=2))
    h.feed(h.log.licensed(agency))

    assert _unlicensed(h.feed(h.log.fee(worker, agency=agency))) == []


def test_one_alert_per_agency_until_a_monitor_resolves_it_then_the_next_evidence_raises_again():
    h = Harness()
    agency, worker = _agency_and_worker(h)
    other = h.log.registered(KUPANG_2)
    suspension = h.log.suspended(agency)
    h.feed(other, suspension)
    (first,) = _unlicensed(h.feed(h.log.fee(worker, agency=agency)))
    assert _unlicensed(h.feed(h.log.fee(other.subject, agency=agency))) == []

    h.engine.resolve(first.alert.id, by="m", note=AlertResolution.ACTION_TAKEN)
    assert h.feed(h.log.again(suspension)) == []  # the same sanction again: no new evidence
    (second,) = _unlicensed(h.feed(h.log.fee(other.subject, agency=agency)))
    assert second.alert.id != first.alert.id


def _case_naming(h: Harness, agency: str, village: str, **kw):
    return h.log.opened(village, agency=agency, **kw)


def test_an_agency_named_in_three_villages_within_thirty_days_is_a_hotspot():
    h = Harness()
    agency = h.log.licensed().subject
    h.feed(_case_naming(h, agency, KUPANG_1))
    h.clock.advance(timedelta(days=10))
    h.feed(_case_naming(h, agency, KUPANG_1))  # the same village again
    h.clock.advance(timedelta(days=10))
    assert _only(h.feed(_case_naming(h, agency, KUPANG_2)), HOTSPOT) == []

    h.clock.advance(timedelta(days=9))
    (raised,) = _only(h.feed(_case_naming(h, agency, KUPANG_REGENCY_VILLAGE)), HOTSPOT)
    alert = raised.alert
    assert (alert.about, alert.severity) == (agency, Severity.CRITICAL)
    assert (alert.level, alert.area) == (Level.PROVINCE, "53")  # all three in NTT
    assert alert.details["villages"] == "3"


def test_villages_in_two_provinces_make_it_the_nation_s():
    h = Harness()
    agency, worker = _agency_and_worker(h, CILACAP)
    h.feed(_case_naming(h, agency, KUPANG_1), _case_naming(h, agency, KUPANG_2))

    events = h.feed(h.log.fee(worker, agency=agency))  # an illegal fee in Central Java

    (raised,) = _only(events, HOTSPOT)
    assert (raised.alert.level, raised.alert.area) == (Level.NATIONAL, "ID")


def test_mentions_older_than_the_window_warnings_and_untriaged_reports_do_not_count():
    h = Harness()
    agency, worker = _agency_and_worker(h, KUPANG_3)
    h.feed(_case_naming(h, agency, KUPANG_1))
    h.clock.advance(timedelta(days=30))  # the first mention has left the window
    h.feed(_case_naming(h, agency, KUPANG_2))
    h.feed(h.log.fee(worker, agency=agency, component="other"))  # a warning, not illegal
    report = _case_naming(h, agency, CILACAP, verified=False)  # a report not yet triaged
    h.feed(report)
    h.feed(h.log.referred(report.subject))  # still no word on triage
    h.feed(_case_naming(h, agency, KUPANG_REGENCY_VILLAGE))
    assert h.live(HOTSPOT, agency) is None

    h.feed(h.log.triaged(report.subject, agency=agency))  # confirmed: now it counts

    assert h.live(HOTSPOT, agency) is not None


def test_a_hotspot_resolves_itself_when_the_window_slides_and_may_come_back():
    h = Harness()
    agency = h.log.licensed().subject
    for village in (KUPANG_1, KUPANG_2, KUPANG_3):
        h.feed(_case_naming(h, agency, village))
        h.clock.advance(timedelta(days=1))
    raised = h.live(HOTSPOT, agency)
    assert raised is not None
    h.engine.acknowledge(raised.id, by="monitor-1")

    # 2026-03-02 is the first day of the window until 2026-03-31 ends.
    assert _only(h.at(start_of(date(2026, 3, 31))), HOTSPOT) == []
    events = _only(h.at(start_of(date(2026, 4, 1))), HOTSPOT)

    assert summary(events) == [("alert-resolved", "agency_hotspot", agency)]
    assert events[0].alert.resolution is AlertResolution.CONDITION_CLEARED
    assert events[0].alert.status is AlertStatus.RESOLVED and events[0].alert.version == 3
    h.feed(_case_naming(h, agency, CILACAP))  # two of the three remain in the window
    again = h.live(HOTSPOT, agency)
    assert again is not None and again.id != raised.id


def test_a_monitor_resolving_a_hotspot_that_still_holds_is_not_contradicted():
    h = Harness()
    agency = h.log.licensed().subject
    for village in (KUPANG_1, KUPANG_2, KUPANG_3):
        h.feed(_case_naming(h, agency, village))
    alert = h.live(HOTSPOT, agency)
    assert alert is not None
    h.engine.resolve(alert.id, by="m", note=AlertResolution.NO_ACTION_NEEDED)

    assert _only(h.feed(_case_naming(h, agency, CILACAP)), HOTSPOT) == []  # still the same
    assert _only(h.after(timedelta(days=1)), HOTSPOT) == []
    assert h.live(HOTSPOT, agency) is alert  # held until its condition is seen to end

    assert _only(h.at(start_of(date(2026, 4, 1))), HOTSPOT) == []  # ended: released quietly
    assert h.live(HOTSPOT, agency) is None
    h.clock.advance(timedelta(days=1))
    for village in (KUPANG_1, KUPANG_2):
        h.feed(_case_naming(h, agency, village))
    assert _only(h.feed(_case_naming(h, agency, KUPANG_3)), HOTSPOT) != []  # back: a new one


def _only(events, rule):
    return [e for e in events if e.alert.rule is rule]


def test_the_alert_names_the_agency_by_its_registered_name_through_a_restart():
    from services.alerts.keeper import _agency_name
    from services.alerts.monitors.models import alert_view

    h = Harness()
    agency, worker = _agency_and_worker(h)  # licensed as "PT Contoh"
    h.feed(h.log.suspended(agency))
    (raised,) = _unlicensed(h.feed(h.log.fee(worker, agency=agency)))
    h.restart()  # the name is kept in the facts' rows, as the tables hold them

    view = alert_view(raised.alert, _agency_name(h.engine.state, raised.alert.about))
    assert view["about"] == agency and view["about_name"] == "PT Contoh"
    # A worker is never named (nor is an agency the service has no licence event of).
    assert _agency_name(h.engine.state, worker) is None
    assert alert_view(raised.alert)["about_name"] is None
