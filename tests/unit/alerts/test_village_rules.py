"""village_surge: a village's cases per registered worker against its regency's."""

from __future__ import annotations

from datetime import date, timedelta

from services.alerts.clock import start_of
from services.alerts.settings import RuleSettings
from shared.contract.codes import AlertResolution, AlertRule, Level, Severity

from .stream import KUPANG_1, KUPANG_2, KUPANG_3, START, Harness, summary

SURGE = AlertRule.VILLAGE_SURGE


def _surges(events):
    return [e for e in events if e.alert.rule is SURGE]


def _register(h: Harness, village: str, n: int) -> None:
    h.feed(*(h.log.registered(village) for _ in range(n)))


def _cases(h: Harness, village: str, n: int, **kw):
    out = []
    for _ in range(n):
        out += _surges(h.feed(h.log.opened(village, **kw)))
    return out


def _kota_kupang(h: Harness) -> None:
    """10 workers registered in one village, 90 in another of the same regency."""
    _register(h, KUPANG_1, 10)
    _register(h, KUPANG_2, 90)


def test_a_village_with_three_times_its_regency_s_rate_surges():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_2, 2)
    assert _cases(h, KUPANG_1, 2) == []  # fewer than three cases

    (raised,) = _cases(h, KUPANG_1, 1)  # 3/10 against 5/100: six times

    alert = raised.alert
    assert (alert.about, alert.severity) == (KUPANG_1, Severity.WARNING)
    assert (alert.level, alert.area) == (Level.REGENCY, "53.71")
    assert _cases(h, KUPANG_1, 5) == []  # the same surge


def test_a_village_at_its_regency_s_rate_does_not():
    h = Harness()
    _register(h, KUPANG_1, 10)
    _register(h, KUPANG_2, 10)
    _cases(h, KUPANG_2, 3)
    assert _cases(h, KUPANG_1, 3) == []  # 3/10 against 6/20


def test_the_factor_and_the_minimum_are_settings():
    def run(settings: RuleSettings) -> list:
        h = Harness(settings)
        _register(h, KUPANG_1, 10)
        _register(h, KUPANG_2, 30)
        _cases(h, KUPANG_2, 1)
        return _cases(h, KUPANG_1, 2)  # 2/10 against 3/40: 2.7 times

    assert run(RuleSettings()) == []
    assert len(run(RuleSettings(village_surge_factor=2.5, village_surge_min_cases=2))) == 1


def test_a_village_nobody_registered_from_counts_as_one_worker():
    h = Harness()
    _register(h, KUPANG_2, 100)
    _cases(h, KUPANG_2, 3)
    (raised,) = _cases(h, KUPANG_3, 3, worker=None)  # 3/1 against 6/100
    assert raised.alert.about == KUPANG_3


def test_untriaged_reports_duplicates_and_old_cases_do_not_count():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_2, 2)
    assert _cases(h, KUPANG_1, 5, verified=False) == []
    case = h.log.opened(KUPANG_1)
    h.feed(case, case, h.log.again(case))  # one case, delivered three times
    old = START - timedelta(days=30)
    h.feed(h.log.opened(KUPANG_1, time=old))  # opened before the window
    assert _surges(h.out) == []
    assert _cases(h, KUPANG_1, 1) == []  # two cases count in the window
    assert len(_cases(h, KUPANG_1, 1)) == 1  # the third


def test_reports_naming_only_the_regency_raise_its_rate():
    h = Harness()
    _kota_kupang(h)
    _cases(h, "53.71", 20)  # self-reports naming only Kota Kupang: 20/100 for the regency
    assert _cases(h, KUPANG_1, 3) == []  # 3/10 against 23/100


def test_a_surge_resolves_itself_once_the_window_has_slid_past_it():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_1, 3)
    alert = h.live(SURGE, KUPANG_1)
    assert alert is not None
    h.engine.acknowledge(alert.id, by="monitor-1")

    assert _surges(h.at(start_of(date(2026, 3, 31)))) == []  # opened 03-02: still in
    events = _surges(h.at(start_of(date(2026, 4, 1))))

    assert summary(events) == [("alert-resolved", "village_surge", KUPANG_1)]
    assert events[0].alert.resolution is AlertResolution.CONDITION_CLEARED
    assert (events[0].alert.acknowledged_by, events[0].alert.version) == ("monitor-1", 3)


def test_a_surge_resolves_itself_when_the_regency_catches_up():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_1, 3)
    _cases(h, KUPANG_2, 40)  # 43/100 for the regency, 3/10 for the village

    assert summary(_surges(h.after(timedelta(days=1)))) == [
        ("alert-resolved", "village_surge", KUPANG_1)
    ]


def test_a_case_merged_into_another_as_a_duplicate_stops_counting():
    h = Harness()
    _kota_kupang(h)
    first, second = h.log.opened(KUPANG_1), h.log.opened(KUPANG_1)
    h.feed(
        first, second, h.log.closed(second.subject, reason="duplicate", merged_into=first.subject)
    )

    assert _cases(h, KUPANG_1, 1) == []  # two cases, not three
    assert len(_cases(h, KUPANG_1, 1)) == 1


def test_a_report_counts_where_triage_found_it():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_1, 2)
    report = h.log.opened("53.71", worker=None, verified=False)
    h.feed(report)

    events = _surges(h.feed(h.log.triaged(report.subject, area=KUPANG_1)))

    assert summary(events) == [("alert-raised", "village_surge", KUPANG_1)]


def _entered_late(h: Harness, village: str, opened_on: date):
    """A case entered now for a complaint registered on ``opened_on``."""
    case = h.log.opened(village)
    return case.model_copy(update={"data": {**case.data, "opened_on": opened_on.isoformat()}})


def test_a_case_counts_on_the_day_it_was_registered_not_the_day_it_was_entered():
    h = Harness()
    _kota_kupang(h)
    _cases(h, KUPANG_2, 2)
    old = START.date() - timedelta(days=40)  # outside the 30-day window
    assert _surges(h.feed(*(_entered_late(h, KUPANG_1, old) for _ in range(3)))) == []

    recent = START.date() - timedelta(days=10)
    (raised,) = _surges(h.feed(*(_entered_late(h, KUPANG_1, recent) for _ in range(3))))
    assert raised.alert.about == KUPANG_1
